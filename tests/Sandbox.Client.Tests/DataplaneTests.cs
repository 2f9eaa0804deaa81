using System.Security.Cryptography;
using System.Text;
using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Commands and files against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class DataplaneTests(ServerFixture fx) : IAsyncLifetime
{
    private SandboxClient Client => fx.Client;
    private Sandbox _box = null!;

    public async Task InitializeAsync() =>
        _box = (await fx.Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("dp") })).Sandbox;

    public async Task DisposeAsync()
    {
        try
        {
            await fx.Client.Sandboxes.DeleteAsync(_box.Name);
        }
        catch (SandboxNotFoundException)
        {
        }
    }

    [Fact]
    public async Task Buffered_execute_returns_output_exit_code_and_duration()
    {
        var r = await Client.Commands.RunAsync(_box, new CommandRequest("echo out; echo err >&2; exit 3"));
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Equal(3, r.ExitCode);
        Assert.False(r.Succeeded);
        Assert.True(r.Duration > TimeSpan.Zero);
        Assert.Equal(_box.Name, r.Sandbox);
        Assert.Equal("echo out; echo err >&2; exit 3", r.Command);

        var env = await Client.Commands.RunAsync(_box.Name, new CommandRequest("echo \"$A-$B\"; pwd") { Environment = new Dictionary<string, string> { ["A"] = "x", ["B"] = "y" }, WorkingDirectory = "/tmp" });
        Assert.Equal("x-y\n/tmp\n", env.Stdout);
        Assert.True(env.Succeeded);

        var sh = await Client.Commands.RunAsync(_box, new CommandRequest("echo $0") { Shell = "/bin/sh" });
        Assert.Equal("/bin/sh\n", sh.Stdout);
    }

    [Fact]
    public async Task Buffered_execute_reports_output_cut_at_the_servers_limit()
    {
        var small = await Client.Commands.RunAsync(_box, new CommandRequest("printf abc"));
        Assert.False(small.StdoutTruncated);
        Assert.False(small.StderrTruncated);
        Assert.Equal(3, small.StdoutBytes);
        Assert.Equal(0, small.StderrBytes);

        // The local server keeps 4 MiB of each stream by default; the command still runs to its end.
        var big = await Client.Commands.RunAsync(_box, new CommandRequest("head -c 5M /dev/zero | tr '\\0' a; echo tail >&2; exit 2"));
        Assert.True(big.StdoutTruncated);
        Assert.False(big.StderrTruncated);
        Assert.Equal(5L << 20, big.StdoutBytes);
        Assert.Equal(4 << 20, big.Stdout.Length);
        Assert.Equal("tail\n", big.Stderr);
        Assert.Equal(2, big.ExitCode);
    }

    [Fact]
    public async Task Execute_errors_are_typed()
    {
        var timeout = await Assert.ThrowsAsync<SandboxCommandTimeoutException>(() => Client.Commands.RunAsync(_box, new CommandRequest("sleep 30") { TimeoutSeconds = 1 }));
        Assert.Equal(408, timeout.StatusCode);
        Assert.Equal("SandboxCommandTimeout", timeout.ErrorId());
        Assert.Equal("OperationTimeout", timeout.CategoryName());

        var noShell = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Commands.RunAsync(_box, new CommandRequest("true") { Shell = "/no/such/shell" }));
        Assert.Equal("CommandNotFound", noShell.ErrorType);
        var noCwd = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Commands.RunAsync(_box, new CommandRequest("true") { WorkingDirectory = "/no/such/dir" }));
        Assert.Equal("InvalidWorkingDirectory", noCwd.ErrorType);
    }

    [Fact]
    public async Task Execute_with_stdin_runs_over_the_websocket_and_over_http()
    {
        var ws = await Client.Commands.RunAsync(_box, new CommandRequest("tr a-z A-Z") { Stdin = "hello 'quoted' $HOME\nsecond line" });
        Assert.Equal("HELLO 'QUOTED' $HOME\nSECOND LINE", ws.Stdout);
        Assert.Equal(0, ws.ExitCode);

        using var httpOnly = fx.Server.CreateClient(new SandboxClientOptions { UseWebSocket = false });
        var http = await httpOnly.Commands.RunAsync(_box, new CommandRequest("tr a-z A-Z; exit 4") { Stdin = "hello 'quoted' $HOME\nsecond line" });
        Assert.Equal("HELLO 'QUOTED' $HOME\nSECOND LINE", http.Stdout);
        Assert.Equal(4, http.ExitCode);
    }

    [Fact]
    public async Task Streaming_delivers_chunks_as_they_are_written_and_the_exit_code()
    {
        await using var session = await Client.Commands.StartAsync(_box, new CommandRequest("echo first; sleep 3; echo second; echo oops >&2; exit 7"));
        Assert.Equal(CommandTransport.WebSocket, session.Transport);
        Assert.NotNull(session.ProcessId);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? firstAt = null;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        await foreach (var chunk in session.ReadOutputAsync())
        {
            firstAt ??= watch.Elapsed;
            (chunk.Stream == CommandStream.Stdout ? stdout : stderr).Append(chunk.Data);
        }
        Assert.Equal("first\nsecond\n", stdout.ToString());
        Assert.Equal("oops\n", stderr.ToString());
        Assert.Equal(7, session.ExitCode);
        // Before the command's sleep ends, with room for a loaded CI machine (server tests run beside these).
        Assert.True(firstAt < TimeSpan.FromMilliseconds(2500), $"the first chunk came after {firstAt}: not streamed");
        Assert.Equal(13, session.StdoutBytes);
        Assert.Equal(0, session.Reconnects);
    }

    [Fact]
    public async Task Streaming_lines_stdin_and_close()
    {
        await using var session = await Client.Commands.StartAsync(_box, new CommandRequest("while read -r l; do echo \"got:$l\"; echo \"err:$l\" >&2; done; echo done"));
        await session.WriteInputAsync("one\ntw");
        await session.WriteInputAsync("o\n");
        await session.CloseInputAsync();
        var lines = new List<CommandOutputLine>();
        await foreach (var line in session.ReadLinesAsync()) lines.Add(line);
        Assert.Equal(["got:one", "got:two", "done"], lines.Where(l => l.Stream == CommandStream.Stdout).Select(l => l.Text));
        Assert.Equal(["err:one", "err:two"], lines.Where(l => l.Stream == CommandStream.Stderr).Select(l => l.Text));
        Assert.Equal(0, session.ExitCode);
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.WriteInputAsync("late"));
    }

    [Fact]
    public async Task Kill_ends_a_running_command()
    {
        await using var session = await Client.Commands.StartAsync(_box, new CommandRequest("echo started; sleep 60; echo never"));
        var output = new StringBuilder();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var chunk in session.ReadOutputAsync())
        {
            output.Append(chunk.Data);
            if (output.ToString().Contains("started")) await session.KillAsync();
        }
        Assert.Equal("started\n", output.ToString());
        Assert.Equal(137, session.ExitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Disposing_a_running_session_kills_the_command()
    {
        var marker = "/tmp/killed-" + Guid.NewGuid().ToString("N")[..6];
        await using (var session = await Client.Commands.StartAsync(_box, new CommandRequest($"sleep 3 && touch {marker}")))
        {
            Assert.False(session.HasExited);
        }
        await Task.Delay(4000);
        var check = await Client.Commands.RunAsync(_box, new CommandRequest($"test -e {marker} && echo exists || echo absent"));
        Assert.Equal("absent\n", check.Stdout);
    }

    [Fact]
    public async Task Disposing_after_a_cancelled_read_still_kills_the_command()
    {
        // Ctrl+C in Invoke-SandboxCommand -Stream: the read is cancelled (which aborts the socket), then the session is disposed.
        var marker = "/tmp/cancelled-" + Guid.NewGuid().ToString("N")[..6];
        var session = await Client.Commands.StartAsync(_box, new CommandRequest($"echo started; sleep 3 && touch {marker}"));
        using (var cancel = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var chunk in session.ReadOutputAsync(cancel.Token))
                    if (chunk.Data.Contains("started")) cancel.Cancel();
            });
        }
        await session.DisposeAsync();
        await Task.Delay(4000);
        var check = await Client.Commands.RunAsync(_box, new CommandRequest($"test -e {marker} && echo exists || echo absent"));
        Assert.Equal("absent\n", check.Stdout);
    }

    [Fact]
    public async Task Streaming_errors_are_typed()
    {
        await using var timeout = await Client.Commands.StartAsync(_box, new CommandRequest("echo a; sleep 30") { TimeoutSeconds = 1 });
        var e = await Assert.ThrowsAsync<SandboxCommandTimeoutException>(async () =>
        {
            await foreach (var _ in timeout.ReadOutputAsync())
            {
            }
        });
        Assert.Null(e.StatusCode);
        Assert.Equal("CommandTimeout", e.ErrorType);

        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Commands.StartAsync(_box, new CommandRequest("true") { Shell = "/no/such/shell" }));
        Assert.Equal("CommandNotFound", missing.ErrorType);
    }

    [Fact]
    public async Task Streaming_on_a_stopped_sandbox_wakes_it()
    {
        var box = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("st") })).Sandbox;
        await Client.Sandboxes.StopAsync(box.Name);
        // The server starts a stopped sandbox for a dataplane request (the current generation's wake), so the
        // WebSocket upgrade succeeds and the command runs.
        await using var session = await Client.Commands.StartAsync(box, new CommandRequest("echo woke"));
        Assert.Equal(CommandTransport.WebSocket, session.Transport);
        var result = await session.CollectAsync();
        Assert.Equal("woke\n", result.Stdout);
        Assert.Equal("ready", (await Client.Sandboxes.GetAsync(box.Name)).Status);
        await Client.Sandboxes.DeleteAsync(box.Name);
    }

    [Fact]
    public async Task Http_transport_streams_the_whole_output_and_collects_stdin()
    {
        using var httpOnly = fx.Server.CreateClient(new SandboxClientOptions { UseWebSocket = false });
        await using var session = await httpOnly.Commands.StartAsync(_box, new CommandRequest("cat; echo e >&2; exit 2"));
        Assert.Equal(CommandTransport.Http, session.Transport);
        await session.WriteInputAsync("a\n");
        await session.WriteInputAsync("b\n");
        await session.CloseInputAsync();
        var result = await session.CollectAsync();
        Assert.Equal("a\nb\n", result.Stdout);
        Assert.Equal("e\n", result.Stderr);
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Upload_and_download_stream_with_progress()
    {
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);
        var sent = new List<long>();
        var up = await Client.Files.UploadAsync(_box, "data/blob.bin", new MemoryStream(data), new() { Progress = new SyncProgress<long>(sent.Add) });
        Assert.Equal("/home/user/data/blob.bin", up.Path);
        Assert.Equal(data.Length, up.Written);
        Assert.True(sent.Count > 10, "progress was reported per chunk");
        Assert.Equal(data.Length, sent[^1]);
        Assert.Equal(sent.Order(), sent);

        var sum = await Client.Commands.RunAsync(_box, new CommandRequest("sha256sum data/blob.bin | cut -d' ' -f1"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "\n", sum.Stdout);

        var received = new List<long>();
        var into = new MemoryStream();
        var n = await Client.Files.DownloadAsync(_box, "/home/user/data/blob.bin", into, new() { Progress = new SyncProgress<long>(received.Add) });
        Assert.Equal(data.Length, n);
        Assert.Equal(data, into.ToArray());
        Assert.Equal(data.Length, received[^1]);

        using (var open = await Client.Files.OpenReadAsync(_box, "data/blob.bin"))
            Assert.Equal(data.Length, open.Length);

        // A stream of unknown length goes chunked.
        var unknown = new NonSeekableStream(Encoding.UTF8.GetBytes("héllo"));
        var small = await Client.Files.UploadAsync(_box, "/tmp/small.txt", unknown);
        Assert.Equal(6, small.Written);
        Assert.Equal("héllo", (await Client.Commands.RunAsync(_box, new CommandRequest("cat /tmp/small.txt"))).Stdout);
    }

    [Fact]
    public async Task File_helpers_and_file_errors()
    {
        var local = Path.Combine(Path.GetTempPath(), "sbc-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await File.WriteAllTextAsync(local + ".in", "local content\n");
            await Client.Files.UploadFileAsync(_box, local + ".in", "f.txt");
            var n = await Client.Files.DownloadFileAsync(_box, "f.txt", local + ".out");
            Assert.Equal(14, n);
            Assert.Equal("local content\n", await File.ReadAllTextAsync(local + ".out"));
        }
        finally
        {
            File.Delete(local + ".in");
            File.Delete(local + ".out");
        }
        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Files.DownloadAsync(_box, "no/such/file", Stream.Null));
        Assert.Equal("SandboxPathNotFound", missing.ErrorId());
        Assert.Equal("no/such/file", missing.TargetName);
        var dir = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Files.DownloadAsync(_box, "/home/user", Stream.Null));
        Assert.Equal("IsADirectory", dir.ErrorType);
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Files.UploadAsync(_box, "", Stream.Null));
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
