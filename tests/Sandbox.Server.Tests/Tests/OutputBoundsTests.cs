using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Bounded server memory for command output: POST /execute keeps at most --exec-output-limit per stream and says
/// so; detached WebSocket sessions are bounded in count and bytes. Each test has its own server, so that its peak
/// RSS (VmHWM) and its budgets belong to that test alone.
/// </summary>
public sealed class OutputBoundsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int DefaultLimit = 4 << 20; // the server's default --exec-output-limit

    [Fact]
    public async Task Large_output_is_cut_at_the_limit_with_truncation_flags_and_the_command_runs_to_its_end()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var box = await Box.CreateAsync(s, tag: "cap");
        // 10 MiB on stdout, 5 MiB of "é\n" (3 bytes) on stderr, then a marker and an exit code: only a command that ran
        // to its end writes them.
        var r = (await box.ExecRawAsync("head -c 10M /dev/zero | tr '\\0' a; yes é | head -c 5M >&2; echo finished > /home/user/marker; exit 7", 50)).Expect(200);
        var j = r.Json;
        Assert.Equal(7, j.GetProperty("exit_code").GetInt32());
        Assert.True(j.GetProperty("stdout_truncated").GetBoolean(), "stdout_truncated is not true");
        Assert.True(j.GetProperty("stderr_truncated").GetBoolean(), "stderr_truncated is not true");
        Assert.Equal(10L << 20, j.GetProperty("stdout_bytes").GetInt64());
        Assert.Equal(5L << 20, j.GetProperty("stderr_bytes").GetInt64());
        var stdout = j.Str("stdout");
        Assert.Equal(DefaultLimit, stdout.Length);
        Assert.True(stdout.All(c => c == 'a'), "stdout holds something other than the command's bytes");
        // Cut at a character boundary: 4 MiB is not a multiple of 3, and no half character becomes U+FFFD.
        var stderr = j.Str("stderr");
        var stderrBytes = Encoding.UTF8.GetByteCount(stderr);
        Assert.True(stderrBytes is <= DefaultLimit and > DefaultLimit - 4, $"stderr kept {stderrBytes} bytes");
        Assert.DoesNotContain('\uFFFD', stderr);
        Assert.StartsWith("é\né\n", stderr);
        Assert.Equal("finished", (await box.RunAsync("cat /home/user/marker")).Trim());

        // The limit falls inside é (C3 A9) and the read before the pause ends at the limit with its first byte:
        // the kept text drops that byte instead of ending in U+FFFD.
        var split = (await box.ExecRawAsync($"head -c {DefaultLimit - 1} /dev/zero | tr '\\0' a; printf '\\303'; sleep 0.5; printf '\\251bb'", 30)).Expect(200).Json;
        Assert.True(split.GetProperty("stdout_truncated").GetBoolean());
        Assert.Equal(DefaultLimit + 3, split.GetProperty("stdout_bytes").GetInt64());
        var splitOut = split.Str("stdout");
        Assert.DoesNotContain('\uFFFD', splitOut);
        Assert.Equal(DefaultLimit - 1, splitOut.Length);

        // Small output: complete, flags false, byte counts exact.
        var small = (await box.ExecRawAsync("printf 'héllo'; printf 'x\\0y' >&2", 20)).Expect(200).Json;
        Assert.Equal("héllo", small.Str("stdout"));
        Assert.Equal("x\0y", small.Str("stderr"));
        Assert.False(small.GetProperty("stdout_truncated").GetBoolean());
        Assert.False(small.GetProperty("stderr_truncated").GetBoolean());
        Assert.Equal(6, small.GetProperty("stdout_bytes").GetInt64());
        Assert.Equal(3, small.GetProperty("stderr_bytes").GetInt64());
        Assert.Equal(0, small.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task The_limit_is_a_server_option()
    {
        await using var s = await ServerProcess.StartAsync(1, ["--exec-output-limit", "1Ki"]);
        await using var box = await Box.CreateAsync(s, tag: "caplim");
        var j = (await box.ExecRawAsync("seq 1 1000", 20)).Expect(200).Json;
        Assert.Equal(string.Concat(Enumerable.Range(1, 1000).Select(i => i + "\n"))[..1024], j.Str("stdout"));
        Assert.True(j.GetProperty("stdout_truncated").GetBoolean());
        Assert.Equal(3893, j.GetProperty("stdout_bytes").GetInt64());
    }

    [Fact]
    public async Task Four_concurrent_one_GiB_outputs_keep_the_server_under_512_MiB()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var box = await Box.CreateAsync(s, tag: "rss");
        var before = ServerMemory(s.Pid);

        async Task<JsonElement> Execute()
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, box.DataplaneUrl.TrimEnd('/') + "/execute")
            {
                Content = new StringContent(new JsonObject { ["command"] = "head -c 1G /dev/zero; echo end >&2", ["timeout"] = 50 }.ToJsonString(),
                    Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            using var res = await s.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)res.StatusCode);
            await using var body = await res.Content.ReadAsStreamAsync();
            using var doc = await JsonDocument.ParseAsync(body);
            return doc.RootElement.Clone();
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Execute())).WaitAsync(TimeSpan.FromSeconds(55));
        var after = ServerMemory(s.Pid);
        output.WriteLine($"server VmHWM {after.HwmKiB} KiB (at the start {before.HwmKiB} KiB), VmRSS after {after.RssKiB} KiB");
        foreach (var j in results)
        {
            Assert.Equal(0, j.GetProperty("exit_code").GetInt32());
            Assert.True(j.GetProperty("stdout_truncated").GetBoolean());
            Assert.False(j.GetProperty("stderr_truncated").GetBoolean());
            Assert.Equal(1L << 30, j.GetProperty("stdout_bytes").GetInt64());
            Assert.Equal(DefaultLimit, j.Str("stdout").Length);
            Assert.Equal("end\n", j.Str("stderr"));
        }
        Assert.True(after.HwmKiB < 512 * 1024,
            $"server peak RSS (VmHWM) {after.HwmKiB / 1024} MiB with 4 concurrent 1 GiB outputs; at the start {before.HwmKiB / 1024} MiB");
    }

    [Fact]
    public async Task Detached_sessions_past_the_count_end_the_longest_detached_first()
    {
        await using var s = await ServerProcess.StartAsync(1, ["--detached-sessions", "2"]);
        await using var box = await Box.CreateAsync(s, tag: "detcount");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await StartAndDetachAsync(s, box, "echo hi; sleep 120", 3));

        // The longest detached is gone; the newer two wait for their client.
        var expired = await ReconnectAsync(s, box, ids[0]);
        Assert.True(expired[^1].Str("type") == "error", $"reconnect to the oldest session: {WsExec.Describe(expired)}");
        Assert.Equal("SessionExpired", expired[^1].Str("error_type"));
        Assert.Contains("budget", expired[^1].Str("error"));
        foreach (var id in ids.Skip(1)) await ExpectAliveAndKillAsync(s, box, id, "hi\n");
    }

    [Fact]
    public async Task Sessions_whose_end_was_delivered_are_ended_before_running_ones()
    {
        await using var s = await ServerProcess.StartAsync(1, ["--detached-sessions", "1"]);
        await using var box = await Box.CreateAsync(s, tag: "detrank");
        var running = await StartAndDetachAsync(s, box, "echo hi; sleep 120", 3);
        // A later command that ran to its end: its exit frame was delivered, so it goes first although detached later.
        var done = Guid.NewGuid().ToString();
        await using (var ws = await WsExec.ConnectAsync(s, box.DataplaneUrl))
        {
            await ws.SendAsync(WsExec.Execute("echo done", 30, new JsonObject { ["command_id"] = done, ["idle_timeout_seconds"] = 86400 }));
            var frames = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("exit", frames[^1].Str("type"));
        }
        var expired = await Poll.UntilAsync(() => ReconnectAsync(s, box, done), f => f[^1].Str("type") == "error", TimeSpan.FromSeconds(10),
            "the delivered session to be ended");
        Assert.Equal("SessionExpired", expired[^1].Str("error_type"));
        await ExpectAliveAndKillAsync(s, box, running, "hi\n");
    }

    [Fact]
    public async Task Detached_sessions_past_the_byte_budget_end_the_longest_detached_first()
    {
        // Each session keeps 1.5 MiB of output (whole 64 KiB chunks: 1.5 MiB); two are over a 2 MiB budget.
        await using var s = await ServerProcess.StartAsync(1, ["--detached-output-budget", "2Mi"]);
        await using var box = await Box.CreateAsync(s, tag: "detbytes");
        var first = await StartAndDetachAsync(s, box, "head -c 1536K /dev/zero | tr '\\0' a; sleep 120", 1536 << 10);
        var second = await StartAndDetachAsync(s, box, "head -c 1536K /dev/zero | tr '\\0' b; sleep 120", 1536 << 10);

        var expired = await ReconnectAsync(s, box, first);
        Assert.True(expired[^1].Str("type") == "error", $"reconnect to the older session: {WsExec.Describe(expired).Length} chars of frames");
        Assert.Equal("SessionExpired", expired[^1].Str("error_type"));
        await ExpectAliveAndKillAsync(s, box, second, new string('b', 1536 << 10));
        // The processes of the ended session were killed: only the one still running (now killed) was ever left. The exit
        // frame follows the shell's end; the rest of its process group (the sleep) dies a moment later.
        await Poll.UntilAsync(async () => (await box.RunAsync("pgrep -c -x sleep || true")).Trim(), n => n == "0", TimeSpan.FromSeconds(5),
            "no sleep left in the sandbox");
    }

    /// <summary>Starts a command over the WebSocket, reads <paramref name="outputBytes"/> of stdout, closes the socket (handshake).</summary>
    private static async Task<string> StartAndDetachAsync(ServerProcess s, Box box, string command, int outputBytes)
    {
        var id = Guid.NewGuid().ToString();
        await using var ws = await WsExec.ConnectAsync(s, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute(command, 300, new JsonObject
        {
            ["command_id"] = id, ["idle_timeout_seconds"] = 86400, ["ttl_seconds"] = 86400,
        }));
        long received = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (received < outputBytes)
        {
            var frame = await ws.ReceiveAsync(deadline - DateTime.UtcNow) ?? throw new Xunit.Sdk.XunitException("socket closed before the output arrived");
            if (frame.Str("type") == "stdout") received += Encoding.UTF8.GetByteCount(frame.Str("data"));
            Assert.NotEqual("error", frame.Str("type"));
        }
        return id; // disposal closes with a handshake: the server has detached the session when it returns
    }

    private static async Task<List<JsonElement>> ReconnectAsync(ServerProcess s, Box box, string id, bool kill = false)
    {
        await using var ws = await WsExec.ConnectAsync(s, box.DataplaneUrl);
        await ws.SendAsync(new JsonObject { ["type"] = "reconnect", ["command_id"] = id, ["stdout_offset"] = 0, ["stderr_offset"] = 0 });
        if (kill) await ws.SendAsync(new JsonObject { ["type"] = "kill" });
        return await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task ExpectAliveAndKillAsync(ServerProcess s, Box box, string id, string output)
    {
        var frames = await ReconnectAsync(s, box, id, kill: true);
        Assert.True(frames[^1].Str("type") == "exit", $"reconnect to a session within the budget: {WsExec.Describe(frames)}");
        Assert.Equal(output, WsExec.Stream(frames, "stdout"));
    }

    private static (long HwmKiB, long RssKiB) ServerMemory(int pid)
    {
        long hwm = 0, rss = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmHWM:")) hwm = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            if (line.StartsWith("VmRSS:")) rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        return (hwm, rss);
    }
}
