using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Records the delays the client asks for; sleeps for real only when told to.</summary>
internal sealed class DelayRecorder(bool real = false)
{
    private readonly List<TimeSpan> _delays = [];

    public IReadOnlyList<TimeSpan> Delays
    {
        get
        {
            lock (_delays) return _delays.ToArray();
        }
    }

    public Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        lock (_delays) _delays.Add(delay);
        return real ? Task.Delay(delay, ct) : Task.Delay(TimeSpan.FromMilliseconds(10), ct);
    }
}

/// <summary>Retries, rate limits, dropped WebSockets and refused connections, through a fault-injecting proxy in front of the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class FaultTests(ServerFixture fx) : IAsyncLifetime
{
    private FaultProxy _proxy = null!;
    private readonly DelayRecorder _delays = new();
    private SandboxClient _client = null!;

    public Task InitializeAsync()
    {
        _proxy = new FaultProxy(fx.Server.Port);
        _client = fx.Server.CreateClient(new SandboxClientOptions { Delay = _delays.DelayAsync, Retry = new SandboxRetryPolicy { Jitter = () => 0.25 } }, _proxy.Endpoint);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
    }

    private static CannedResponse Error(int status, string type, string? retryAfter = null) =>
        new(status, $$$"""{"detail":{"error":"{{{type}}}","message":"injected {{{status}}}"}}""", retryAfter);

    private int Count(string method, string path) => _proxy.Requests.Count(r => r.Method == method && r.Path == path);

    [Fact]
    public async Task Get_is_retried_after_503_with_backoff_then_succeeds()
    {
        var box = (await _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("f503") })).Sandbox;
        var path = $"/v2/sandboxes/boxes/{box.Name}";
        _proxy.Rule = FaultProxy.FailFirst(2, r => r.Method == "GET" && r.Path == path, Error(503, "Unavailable"));

        var got = await _client.Sandboxes.GetAsync(box.Name);

        Assert.Equal(box.Id, got.Id);
        Assert.Equal(3, Count("GET", path));
        Assert.Equal([TimeSpan.FromSeconds(1.25), TimeSpan.FromSeconds(2.25)], _delays.Delays);
        _proxy.Rule = null;
        await _client.Sandboxes.DeleteAsync(box.Name);
    }

    [Fact]
    public async Task Retries_stop_after_three_and_report_the_last_error()
    {
        _proxy.Rule = FaultProxy.FailFirst(10, r => r.Path == "/v2/sandboxes/templates", Error(502, "BadGateway"));
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.Templates.ListAsync());
        Assert.Equal(502, e.StatusCode);
        Assert.Equal(3, e.Retries);
        Assert.Equal(4, Count("GET", "/v2/sandboxes/templates"));
        Assert.Equal([1.25, 2.25, 4.25], _delays.Delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task Delete_is_retried_after_504()
    {
        var box = (await _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("f504") })).Sandbox;
        var path = $"/v2/sandboxes/boxes/{box.Name}";
        _proxy.Rule = FaultProxy.FailFirst(1, r => r.Method == "DELETE" && r.Path == path, Error(504, "Timeout"));
        await _client.Sandboxes.DeleteAsync(box.Name);
        Assert.Equal(2, Count("DELETE", path));
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => _client.Sandboxes.GetAsync(box.Name));
    }

    [Fact]
    public async Task Post_is_not_retried_on_503()
    {
        _proxy.Rule = FaultProxy.FailFirst(1, r => r.Method == "POST" && r.Path == "/v2/sandboxes/boxes", Error(503, "Unavailable"));
        var name = fx.NewName("fpost");
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name }));
        Assert.Equal(503, e.StatusCode);
        Assert.Equal(0, e.Retries);
        Assert.Equal(1, Count("POST", "/v2/sandboxes/boxes"));
        Assert.Empty(_delays.Delays);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => _client.Sandboxes.GetAsync(name));

        // Execute is not retried either.
        var box = (await _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name })).Sandbox;
        var execute = new Uri(box.DataplaneUrl!).AbsolutePath + "/execute";
        _proxy.Rule = FaultProxy.FailFirst(1, r => r.Method == "POST" && r.Path == execute, Error(503, "Unavailable"));
        var ex = await Assert.ThrowsAsync<SandboxApiException>(() => _client.Commands.RunAsync(box, new CommandRequest("echo once >> /tmp/count")));
        Assert.Equal(503, ex.StatusCode);
        Assert.Equal(1, Count("POST", execute));
        _proxy.Rule = null;
        await _client.Sandboxes.DeleteAsync(name);
    }

    [Fact]
    public async Task Status_429_waits_for_retry_after_then_succeeds()
    {
        var real = new DelayRecorder(real: true);
        using var client = fx.Server.CreateClient(new SandboxClientOptions { Delay = real.DelayAsync }, _proxy.Endpoint);
        _proxy.Rule = FaultProxy.FailFirst(1, r => r.Path == "/v2/sandboxes/templates/base", Error(429, "RateLimited", retryAfter: "1"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var t = await client.Templates.GetAsync("base");
        Assert.Equal("base", t.Name);
        Assert.Equal([TimeSpan.FromSeconds(1)], real.Delays);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"answered after {watch.Elapsed}, before Retry-After");
        Assert.Equal(2, Count("GET", "/v2/sandboxes/templates/base"));
    }

    [Fact]
    public async Task Status_429_on_a_post_or_with_a_long_retry_after_is_a_quota_error_carrying_the_delay()
    {
        _proxy.Rule = FaultProxy.FailFirst(1, r => r.Method == "POST", Error(429, "QuotaExceeded", retryAfter: "5"));
        var post = await Assert.ThrowsAsync<SandboxQuotaExceededException>(() => _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" }));
        Assert.Equal(TimeSpan.FromSeconds(5), post.RetryAfter);
        Assert.Equal("SandboxQuotaExceeded", post.ErrorId());
        Assert.Equal("QuotaExceeded", post.CategoryName());
        Assert.Empty(_delays.Delays);

        _proxy.Rule = FaultProxy.FailFirst(1, r => r.Method == "GET", Error(429, "QuotaExceeded", retryAfter: "600"));
        var get = await Assert.ThrowsAsync<SandboxQuotaExceededException>(() => _client.Sandboxes.ListAsync());
        Assert.Equal(TimeSpan.FromSeconds(600), get.RetryAfter);
        Assert.Empty(_delays.Delays);
    }

    [Fact]
    public async Task WebSocket_cut_mid_stream_resumes_without_lost_or_duplicated_bytes()
    {
        var box = (await _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("fcut") })).Sandbox;
        Assert.StartsWith(_proxy.Endpoint, box.DataplaneUrl); // the dataplane goes through the proxy too

        const int Lines = 30000;
        var expectedOut = new StringBuilder();
        var expectedErr = new StringBuilder();
        for (var i = 1; i <= Lines; i++)
        {
            expectedOut.Append($"line {i} ünïcödé\n");
            if (i % 1000 == 0) expectedErr.Append($"err {i}\n");
        }
        // Cut at a byte count that is not a frame boundary: inside the JSON of a frame.
        _proxy.CutWebSocketOnceAfter(150_001);
        await using var session = await _client.Commands.StartAsync(box, new CommandRequest(
            $"for i in $(seq 1 {Lines}); do echo \"line $i ünïcödé\"; if [ $((i % 1000)) -eq 0 ]; then echo \"err $i\" >&2; fi; done"));
        var result = await session.CollectAsync();

        Assert.Equal(1, _proxy.Cuts);
        Assert.True(session.Reconnects >= 1, "the session did not reconnect");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expectedErr.ToString(), result.Stderr);
        Assert.True(expectedOut.ToString() == result.Stdout, FirstDifference(expectedOut.ToString(), result.Stdout));
        Assert.Equal(Encoding.UTF8.GetByteCount(result.Stdout), session.StdoutBytes);
        Assert.Contains(_proxy.Requests, r => r.IsUpgrade);
        await _client.Sandboxes.DeleteAsync(box.Name);
    }

    [Fact]
    public async Task WebSocket_cut_while_the_command_still_runs_resumes_and_stdin_still_works()
    {
        var box = (await _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("fcut2") })).Sandbox;
        // Numbered lines with pauses, so the cut lands while the command runs; then it reads one line of stdin.
        _proxy.CutWebSocketOnceAfter(3_000);
        await using var session = await _client.Commands.StartAsync(box, new CommandRequest(
            "for i in $(seq 1 1000); do echo \"n$i\"; if [ $((i % 100)) -eq 0 ]; then sleep 0.1; fi; done; read -r x; echo \"stdin:$x\""));
        var output = new StringBuilder();
        var wrote = false;
        await foreach (var chunk in session.ReadOutputAsync())
        {
            output.Append(chunk.Data);
            if (!wrote && _proxy.Cuts == 1 && session.Reconnects >= 1)
            {
                wrote = true;
                await session.WriteInputAsync("after the cut\n");
            }
        }
        var expected = string.Concat(Enumerable.Range(1, 1000).Select(i => $"n{i}\n")) + "stdin:after the cut\n";
        Assert.Equal(1, _proxy.Cuts);
        Assert.True(expected == output.ToString(), FirstDifference(expected, output.ToString()));
        Assert.Equal(0, session.ExitCode);
        await _client.Sandboxes.DeleteAsync(box.Name);
    }

    [Fact]
    public async Task Refused_websocket_upgrade_falls_back_to_post_execute()
    {
        var box = (await _client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("fws") })).Sandbox;
        _proxy.Rule = r => r.IsUpgrade ? Error(400, "WebSocketUnsupported") : null;
        await using var session = await _client.Commands.StartAsync(box, new CommandRequest("cat; echo to-err >&2; exit 5") { Stdin = "from stdin\n" });
        Assert.Equal(CommandTransport.Http, session.Transport);
        var result = await session.CollectAsync();
        Assert.Equal("from stdin\n", result.Stdout);
        Assert.Equal("to-err\n", result.Stderr);
        Assert.Equal(5, result.ExitCode);
        var buffered = await _client.Commands.RunAsync(box, new CommandRequest("wc -c") { Stdin = "12345" });
        Assert.Equal("5", buffered.Stdout.Trim());
        _proxy.Rule = null;
        await _client.Sandboxes.DeleteAsync(box.Name);
    }

    [Fact]
    public async Task Connection_refused_is_a_clear_connection_error()
    {
        var port = ClosedPort();
        var recorder = new DelayRecorder();
        using var client = new SandboxClient(new SandboxConnectionSettings($"http://127.0.0.1:{port}", "k"), new SandboxClientOptions { Delay = recorder.DelayAsync });

        var get = await Assert.ThrowsAsync<SandboxConnectionException>(() => client.Sandboxes.GetAsync("x"));
        Assert.Contains($"127.0.0.1:{port}", get.Message);
        Assert.Contains("connection refused", get.Message);
        Assert.Equal("SandboxConnectionFailed", get.ErrorId());
        Assert.Equal("ConnectionError", get.CategoryName());
        Assert.Null(get.StatusCode);
        // Nothing listens: one quick second try, not the whole back-off (a wrong endpoint fails in well under a second).
        Assert.Equal(1, get.Retries);
        Assert.Equal([SandboxRetryHandler.RefusedRetryDelay], recorder.Delays);

        var post = await Assert.ThrowsAsync<SandboxConnectionException>(() => client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" }));
        Assert.Equal(0, post.Retries);
        Assert.Single(recorder.Delays);

        var ws = await Assert.ThrowsAsync<SandboxConnectionException>(() => client.Commands.StartAsync(new Sandbox { Name = "x", DataplaneUrl = $"http://127.0.0.1:{port}/dp" }, new CommandRequest("true")));
        Assert.Contains("connection refused", ws.Message);

        // With no endpoint configured, the message points at the local server.
        var local = SandboxConnectionSettings.Resolve($"http://127.0.0.1:{port}", "k");
        Assert.False(local.IsLocalServer);
    }

    [Fact]
    public async Task Close_code_1001_reconnects_at_once_and_replayed_bytes_are_not_repeated()
    {
        // A scripted WebSocket server: the first socket sends "abc" and closes with 1001 (server reloading);
        // the resumed socket replays from offset 0 anyway ("abcdef"), and the client must drop "abc".
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var frames = new List<JsonElement>();
        var server = Task.Run(async () =>
        {
            for (var connection = 0; connection < 2; connection++)
            {
                using var tcp = await listener.AcceptTcpClientAsync();
                using var ws = await ScriptedWebSocket.AcceptAsync(tcp.GetStream());
                var buffer = new byte[65536];
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                var first = JsonDocument.Parse(buffer.AsMemory(0, r.Count)).RootElement.Clone();
                lock (frames) frames.Add(first);
                async Task Send(string json) => await ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
                if (connection == 0)
                {
                    await Send("""{"type":"started","command_id":"c1","pid":42}""");
                    await Send("""{"type":"stdout","data":"abc","offset":0}""");
                    await ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "reloading", CancellationToken.None);
                }
                else
                {
                    await Send("""{"type":"stdout","data":"abcdef","offset":0}""");
                    await Send("""{"type":"stderr","data":"E","offset":0}""");
                    await Send("""{"type":"exit","exit_code":0}""");
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
            }
        });
        var recorder = new DelayRecorder();
        using var client = new SandboxClient(new SandboxConnectionSettings($"http://127.0.0.1:{port}", "k"), new SandboxClientOptions { Delay = recorder.DelayAsync });
        await using var session = await client.Commands.StartAsync(new Sandbox { Name = "fake", DataplaneUrl = $"http://127.0.0.1:{port}/dp" }, new CommandRequest("x") { CommandId = "c1" });
        var result = await session.CollectAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("abcdef", result.Stdout);
        Assert.Equal("E", result.Stderr);
        Assert.Equal(1, session.Reconnects);
        Assert.Empty(recorder.Delays);
        Assert.Equal(42, session.ProcessId);
        Assert.Equal("execute", frames[0].GetProperty("type").GetString());
        Assert.Equal("c1", frames[0].GetProperty("command_id").GetString());
        Assert.False(frames[0].GetProperty("kill_on_disconnect").GetBoolean());
        Assert.Equal("reconnect", frames[1].GetProperty("type").GetString());
        Assert.Equal("c1", frames[1].GetProperty("command_id").GetString());
        Assert.Equal(3, frames[1].GetProperty("stdout_offset").GetInt64());
        Assert.Equal(0, frames[1].GetProperty("stderr_offset").GetInt64());
    }

    [Fact]
    public async Task Per_call_timeout_ends_a_hanging_call_and_cancellation_is_not_a_timeout()
    {
        _proxy.Rule = r => r.Path == "/v2/sandboxes/templates/base" ? CannedResponse.Hang : null;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SandboxTimeoutException>(() => _client.Templates.GetAsync("base", SandboxRequestOptions.WithTimeout(TimeSpan.FromMilliseconds(500))));
        Assert.Equal("ClientTimeout", e.ErrorType);
        Assert.Equal("OperationTimeout", e.CategoryName());
        Assert.Equal("base", e.TargetName);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.45, 10);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.Templates.GetAsync("base", SandboxRequestOptions.WithTimeout(TimeSpan.FromSeconds(30)), cts.Token));
        _proxy.Rule = null;
        Assert.Equal("base", (await _client.Templates.GetAsync("base")).Name);
    }

    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string FirstDifference(string expected, string actual)
    {
        var i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i]) i++;
        string Around(string s) => s.Substring(Math.Max(0, i - 40), Math.Min(80, s.Length - Math.Max(0, i - 40)));
        return $"outputs differ at char {i} (expected {expected.Length} chars, got {actual.Length}): expected '...{Around(expected)}...' got '...{Around(actual)}...'";
    }
}
