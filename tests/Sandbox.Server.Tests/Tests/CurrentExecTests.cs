using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// The current generation's exec WebSocket: command_id get-or-create, started on every socket, close_stdin, -1 values;
/// and dataplane requests that wake a stopped sandbox.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class CurrentExecTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_execute_retried_with_its_command_id_attaches_instead_of_starting_again()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsid");
        var id = Guid.NewGuid().ToString();
        var command = "echo run >> /tmp/runs; echo first; sleep 1; echo second";
        var ws1 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws1.SendAsync(WsExec.Execute(command, 30, new JsonObject { ["command_id"] = id }));
        var started1 = (await ws1.ReceiveAsync(Wait))!.Value;
        Assert.Equal("started", started1.Str("type"));
        Assert.Equal(id, started1.Str("command_id"));
        ws1.Socket.Abort(); // as if the client never saw it: it retries the same execute
        ws1.Socket.Dispose();

        await using var ws2 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws2.SendAsync(WsExec.Execute(command, 30, new JsonObject { ["command_id"] = id }));
        var frames = await ws2.ReceiveUntilEndAsync(Wait);
        Assert.Equal("started", frames[0].Str("type"));
        Assert.Equal(id, frames[0].Str("command_id"));
        Assert.Equal(started1.GetProperty("pid").GetInt32(), frames[0].GetProperty("pid").GetInt32());
        Assert.Equal("first\nsecond\n", WsExec.Stream(frames, "stdout")); // replayed from the start, then continued
        Assert.Equal(0, frames[^1].GetProperty("exit_code").GetInt32());
        Assert.Equal("1", (await box.RunAsync("wc -l < /tmp/runs")).Trim()); // one command ran, not two

        // The same id for another command is a conflict, said in an error frame (nothing started).
        await using var ws3 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws3.SendAsync(WsExec.Execute("echo other >> /tmp/runs", 30, new JsonObject { ["command_id"] = id }));
        var conflict = await ws3.ReceiveUntilEndAsync(Wait);
        Assert.Equal("CommandIdInUse", conflict[^1].Str("error_type"));
        Assert.Equal("1", (await box.RunAsync("wc -l < /tmp/runs")).Trim());
    }

    [Fact]
    public async Task Concurrent_executes_with_one_command_id_start_one_command()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsidc");
        var id = Guid.NewGuid().ToString();
        var command = "echo run >> /tmp/runs; sleep 2; echo done";
        var sockets = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => WsExec.ConnectAsync(S, box.DataplaneUrl)));
        try
        {
            await Task.WhenAll(sockets.Select(ws => ws.SendAsync(WsExec.Execute(command, 30, new JsonObject { ["command_id"] = id }))));
            // Each socket attaches in turn (a newer one replaces an older one): every one sees started first; the one
            // attached last gets the output and the exit, each replaced one a clean close naming why (never a reset).
            var ends = await Task.WhenAll(sockets.Select(ws => ws.ReceiveUntilEndAsync(Wait)));
            foreach (var frames in ends)
                Assert.True(frames.Count > 0 && frames[0].Str("type") == "started" && frames[0].Str("command_id") == id, $"frames {WsExec.Describe(frames)}");
            var finished = sockets.Zip(ends).Where(p => p.Second[^1].Str("type") == "exit").ToList();
            var exit = Assert.Single(finished);
            Assert.Equal("done\n", WsExec.Stream(exit.Second, "stdout"));
            foreach (var (ws, frames) in sockets.Zip(ends).Except(finished))
            {
                Assert.True(frames[^1].Str("type") != "error", $"frames {WsExec.Describe(frames)}");
                Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.Socket.CloseStatus);
                Assert.Contains("replaced by a newer connection", ws.Socket.CloseStatusDescription);
            }
        }
        finally
        {
            foreach (var ws in sockets) await ws.DisposeAsync();
        }
        Assert.Equal("1", (await box.RunAsync("wc -l < /tmp/runs")).Trim()); // one command ran, not four
    }

    [Fact]
    public async Task A_reconnect_is_acknowledged_by_started_naming_the_command()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsack");
        var ws1 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws1.SendAsync(WsExec.Execute("sleep 1; echo late", 30));
        var started = (await ws1.ReceiveAsync(Wait))!.Value;
        var id = started.Str("command_id");
        ws1.Socket.Abort();
        ws1.Socket.Dispose();

        await using var ws2 = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws2.SendAsync(new JsonObject { ["type"] = "reconnect", ["command_id"] = id, ["stdout_offset"] = 0, ["stderr_offset"] = 0 });
        var frames = await ws2.ReceiveUntilEndAsync(Wait);
        Assert.Equal("started", frames[0].Str("type"));
        Assert.Equal(id, frames[0].Str("command_id"));
        Assert.Equal(started.GetProperty("pid").GetInt32(), frames[0].GetProperty("pid").GetInt32());
        Assert.Equal("late\n", WsExec.Stream(frames, "stdout"));
        Assert.Equal("exit", frames[^1].Str("type"));
    }

    [Fact]
    public async Task Close_stdin_flag_gives_end_of_file_at_once_and_the_frame_half_closes()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsstdin");
        await using (var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl))
        {
            await ws.SendAsync(WsExec.Execute("cat; echo eof-seen", 10, new JsonObject { ["close_stdin"] = true }));
            var frames = await ws.ReceiveUntilEndAsync(Wait);
            Assert.Equal("eof-seen\n", WsExec.Stream(frames, "stdout"));
            Assert.Equal(0, frames[^1].GetProperty("exit_code").GetInt32());
        }
        await using (var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl))
        {
            await ws.SendAsync(WsExec.Execute("cat; echo eof-seen", 10)); // no flag: stdin stays open (older clients)
            Assert.Equal("started", (await ws.ReceiveAsync(Wait))!.Value.Str("type"));
            await ws.SendAsync(new JsonObject { ["type"] = "input", ["data"] = "typed\n" });
            await ws.SendAsync(new JsonObject { ["type"] = "close_stdin" });
            var frames = await ws.ReceiveUntilEndAsync(Wait);
            Assert.Equal("typed\neof-seen\n", WsExec.Stream(frames, "stdout"));
            Assert.Equal("exit", frames[^1].Str("type"));
        }
    }

    [Fact]
    public async Task Minus_one_means_none_for_idle_timeout_and_ttl_and_other_negatives_are_refused()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsneg");
        await using (var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl))
        {
            await ws.SendAsync(WsExec.Execute("echo ok", 10, new JsonObject { ["idle_timeout_seconds"] = -1, ["ttl_seconds"] = -1 }));
            var frames = await ws.ReceiveUntilEndAsync(Wait);
            Assert.Equal("ok\n", WsExec.Stream(frames, "stdout"));
        }
        foreach (var field in new[] { "idle_timeout_seconds", "ttl_seconds" })
        {
            await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
            await ws.SendAsync(WsExec.Execute("echo no", 10, new JsonObject { [field] = -2 }));
            var frames = await ws.ReceiveUntilEndAsync(Wait);
            Assert.Equal("error", frames[^1].Str("type"));
            Assert.Contains(field, frames[^1].Str("error"));
        }
        await using (var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl))
        {
            await ws.SendAsync(WsExec.Execute("echo no", 10, new JsonObject { ["close_stdin"] = "yes" }));
            var frames = await ws.ReceiveUntilEndAsync(Wait);
            Assert.Contains("close_stdin", frames[^1].Str("error"));
        }
    }

    [Fact]
    public async Task Dataplane_requests_wake_a_stopped_sandbox()
    {
        await using var box = await Box.CreateAsync(S, tag: "wake");
        await box.RunAsync("echo kept > /home/user/f");

        async Task StopAsync()
        {
            (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
            Assert.Equal("stopped", await S.StatusOfAsync(box.Name));
        }

        await StopAsync();
        Assert.Equal("kept", (await box.RunAsync("cat /home/user/f")).Trim()); // POST /execute
        var woke = (await S.GetAsync(box.Path)).Expect(200).Json;
        Assert.Equal("ready", woke.Str("status"));
        Assert.Equal(JsonValueKind.Null, woke.GetProperty("stopped_at").ValueKind);

        await StopAsync();
        var download = await box.DownloadAsync("/home/user/f");
        Assert.Equal(200, download.Status);
        Assert.Equal("kept\n", System.Text.Encoding.UTF8.GetString(download.Bytes));

        await StopAsync();
        (await box.UploadAsync("/home/user/g", "up"u8.ToArray())).Expect(200);
        Assert.Equal("up", (await box.RunAsync("cat /home/user/g")).Trim());

        await StopAsync();
        await using (var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl))
        {
            await ws.SendAsync(WsExec.Execute("cat /home/user/g", 10));
            Assert.Equal("up", WsExec.Stream(await ws.ReceiveUntilEndAsync(Wait), "stdout"));
        }

        await StopAsync();
        var glob = (await S.PostAsync(box.DataplaneUrl + "/glob", new { pattern = "*", path = "/home/user" })).Expect(200).Json;
        Assert.Contains(glob.GetProperty("matches").EnumerateArray(), m => m.Str("path") == "/home/user/g");
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
    }
}
