using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class WebSocketTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Started_stdout_stderr_exit_with_byte_offsets()
    {
        await using var box = await Box.CreateAsync(S, tag: "ws");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("echo héllo; sleep 0.3; echo wörld; echo oops >&2; sleep 0.3; echo again >&2; exit 5", 30));
        var frames = await ws.ReceiveUntilEndAsync(Wait);
        var first = frames[0];
        Assert.Equal("started", first.Str("type"));
        Assert.False(string.IsNullOrEmpty(first.Str("command_id")));
        Assert.True(first.GetProperty("pid").GetInt32() > 0, $"started frame without a pid: {first}");
        var last = frames[^1];
        Assert.Equal("exit", last.Str("type"));
        Assert.Equal(5, last.GetProperty("exit_code").GetInt32());
        Assert.Equal("héllo\nwörld\n", WsExec.Stream(frames, "stdout")); // offsets checked: contiguous byte offsets
        Assert.Equal("oops\nagain\n", WsExec.Stream(frames, "stderr"));
        // Output arrived in more than one frame, so the byte offsets were really exercised (é is 2 bytes).
        var stdoutFrames = frames.Where(f => f.Str("type") == "stdout").ToList();
        Assert.True(stdoutFrames.Count >= 2, $"expected separate stdout frames: {WsExec.Describe(frames)}");
        Assert.Equal(Encoding.UTF8.GetByteCount("héllo\n"), stdoutFrames[1].GetProperty("offset").GetInt64());
        var stderrFrames = frames.Where(f => f.Str("type") == "stderr").ToList();
        Assert.Equal(0, stderrFrames[0].GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Sandbox_env_per_command_env_and_cwd_apply()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsenv", extra: new JsonObject { ["env"] = new JsonObject { ["GREETING"] = "hello world" } });
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("echo \"$GREETING|$EXTRA\"; pwd", 20));
        var frames = await ws.ReceiveUntilEndAsync(Wait);
        Assert.Equal("hello world|\n/home/user\n", WsExec.Stream(frames, "stdout"));
        await using var ws2 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws2.SendAsync(WsExec.Execute("echo \"$GREETING|$EXTRA\"; pwd", 20, new JsonObject { ["env"] = new JsonObject { ["EXTRA"] = "x" }, ["cwd"] = "/tmp" }));
        Assert.Equal("hello world|x\n/tmp\n", WsExec.Stream(await ws2.ReceiveUntilEndAsync(Wait), "stdout"));
    }

    [Fact]
    public async Task Stdin_input_frames_reach_the_command()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsin");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("read x; echo \"got $x\"; read y; echo \"then $y\"", 30));
        Assert.Equal("started", (await ws.ReceiveAsync(Wait))!.Value.Str("type"));
        await ws.SendAsync(new JsonObject { ["type"] = "input", ["data"] = "hello\n" });
        // The first answer comes before the second input is sent: a real conversation.
        var frame = await ws.ReceiveAsync(Wait);
        Assert.Equal("stdout", frame!.Value.Str("type"));
        Assert.Equal("got hello\n", frame.Value.Str("data"));
        await ws.SendAsync(new JsonObject { ["type"] = "input", ["data"] = "wörld\n" });
        var rest = await ws.ReceiveUntilEndAsync(Wait);
        Assert.Equal("then wörld\n", WsExec.Stream(rest, "stdout", Encoding.UTF8.GetByteCount("got hello\n")));
        Assert.Equal(0, rest[^1].GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Cat_echoes_input()
    {
        await using var box = await Box.CreateAsync(S, tag: "wscat");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("head -n 2", 30));
        Assert.Equal("started", (await ws.ReceiveAsync(Wait))!.Value.Str("type"));
        await ws.SendAsync(new JsonObject { ["type"] = "input", ["data"] = "one\n" });
        await ws.SendAsync(new JsonObject { ["type"] = "input", ["data"] = "two\nthree\n" });
        var frames = await ws.ReceiveUntilEndAsync(Wait);
        Assert.Equal("one\ntwo\n", WsExec.Stream(frames, "stdout"));
        Assert.Equal("exit", frames[^1].Str("type"));
    }

    [Fact]
    public async Task Kill_ends_a_long_command()
    {
        await using var box = await Box.CreateAsync(S, tag: "wskill");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("echo begin; sleep 100", 300));
        Assert.Equal("started", (await ws.ReceiveAsync(Wait))!.Value.Str("type"));
        var begin = await ws.ReceiveAsync(Wait);
        Assert.Equal("begin\n", begin!.Value.Str("data"));
        var watch = Stopwatch.StartNew();
        await ws.SendAsync(new JsonObject { ["type"] = "kill" });
        var frames = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(15));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"kill took {watch.Elapsed}");
        Assert.Equal("exit", frames[^1].Str("type"));
        Assert.NotEqual(0, frames[^1].GetProperty("exit_code").GetInt32());
        var ps = await box.RunAsync("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done");
        Assert.DoesNotContain("sleep 100", ps);
    }

    [Fact]
    public async Task Timeout_seconds_gives_a_CommandTimeout_error_frame()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsto");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        var watch = Stopwatch.StartNew();
        await ws.SendAsync(WsExec.Execute("sleep 77.5", 1));
        var frames = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(20));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"timeout_seconds 1 took {watch.Elapsed}");
        var error = frames.LastOrDefault(f => f.Str("type") == "error");
        Assert.True(error.ValueKind == JsonValueKind.Object, $"no error frame: {WsExec.Describe(frames)}");
        Assert.Equal("CommandTimeout", error.Str("error_type"));
        Assert.False(string.IsNullOrEmpty(error.Str("error")));
        await Poll.UntilAsync(() => box.RunAsync("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done"),
            ps => !ps.Contains("sleep 77.5"), TimeSpan.FromSeconds(5), "the timed-out process to be gone");
    }

    [Fact]
    public async Task Missing_shell_gives_a_CommandNotFound_error_frame()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsnf");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("echo hi", 10, new JsonObject { ["shell"] = "/bin/no-such-shell" }));
        var frames = await ws.ReceiveUntilEndAsync(Wait);
        var error = frames.LastOrDefault(f => f.Str("type") == "error");
        Assert.True(error.ValueKind == JsonValueKind.Object, $"no error frame: {WsExec.Describe(frames)}");
        Assert.Equal("CommandNotFound", error.Str("error_type"));
    }

    [Fact]
    public async Task Reconnect_resumes_with_no_gap_and_no_duplicate()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsre");
        const int lines = 60;
        var expected = string.Concat(Enumerable.Range(1, lines).Select(i => $"line-{i:D3}\n"));
        var ws1 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws1.SendAsync(WsExec.Execute($"for i in $(seq 1 {lines}); do printf 'line-%03d\\n' $i; sleep 0.1; done; echo done-err >&2", 60));
        var started = (await ws1.ReceiveAsync(Wait))!.Value;
        Assert.Equal("started", started.Str("type"));
        var commandId = started.Str("command_id");

        var first = new List<JsonElement>();
        long received = 0;
        while (received < 5 * "line-001\n".Length)
        {
            var f = (await ws1.ReceiveAsync(Wait))!.Value;
            Assert.NotEqual("exit", f.Str("type"));
            first.Add(f);
            if (f.Str("type") == "stdout") received += Encoding.UTF8.GetByteCount(f.Str("data"));
        }
        var part1 = WsExec.Stream(first, "stdout");
        Assert.True(part1.Length < expected.Length / 2, "the command finished before the socket was dropped");
        ws1.Socket.Abort(); // drop mid-stream, no close handshake
        ws1.Socket.Dispose();
        await Task.Delay(300); // output keeps coming while nobody listens

        await using var ws2 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws2.SendAsync(new JsonObject
        {
            ["type"] = "reconnect", ["command_id"] = commandId, ["stdout_offset"] = received, ["stderr_offset"] = 0,
        });
        var rest = await ws2.ReceiveUntilEndAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("exit", rest[^1].Str("type"));
        Assert.Equal(0, rest[^1].GetProperty("exit_code").GetInt32());
        var part2 = WsExec.Stream(rest, "stdout", received); // first replayed offset must be exactly where we stopped
        Assert.Equal(expected, part1 + part2);
        Assert.Equal("done-err\n", WsExec.Stream(rest, "stderr"));
    }

    [Fact]
    public async Task Reconnect_to_an_unknown_command_is_an_error()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsunk");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(new JsonObject { ["type"] = "reconnect", ["command_id"] = Guid.NewGuid().ToString(), ["stdout_offset"] = 0, ["stderr_offset"] = 0 });
        var frames = await ws.ReceiveUntilEndAsync(Wait);
        var error = frames.LastOrDefault(f => f.Str("type") == "error");
        Assert.True(error.ValueKind == JsonValueKind.Object, $"no error frame: {WsExec.Describe(frames)}");
        Assert.Equal("SessionExpired", error.Str("error_type"));
    }

    [Fact]
    public async Task Large_stream_arrives_complete()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsbig");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("seq 1 300000", 60));
        var frames = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(string.Concat(Enumerable.Range(1, 300000).Select(i => i + "\n")), WsExec.Stream(frames, "stdout"));
        Assert.Equal(0, frames[^1].GetProperty("exit_code").GetInt32());
    }
}
