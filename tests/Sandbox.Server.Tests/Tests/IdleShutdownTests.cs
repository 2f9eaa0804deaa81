using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>--idle-shutdown: the server ends by itself once nothing uses it, and not while something does.</summary>
public sealed class IdleShutdownTests
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Idle_server_exits_cleanly_and_requests_keep_it()
    {
        await using var s = await ServerProcess.StartAsync(1, ["--idle-shutdown", "2s"]);
        // A request a second for 5 s: each one is use, so the 2 s limit is never reached.
        for (var i = 0; i < 5; i++)
        {
            (await s.GetAsync("v2/sandboxes/boxes")).Expect(200);
            await Task.Delay(1000);
        }
        Assert.True(s.IsRunning, $"the server ended while requests kept arriving. Log:\n{s.Log}");
        // Health checks are not use: polling /healthz does not keep it.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var r = await s.Anonymous.GetAsync("healthz");
            }
            catch (HttpRequestException)
            {
            }
            return !s.IsRunning;
        }, gone => gone, ExitWithin, "the idle server to exit", intervalMs: 500);
        Assert.Equal(0, s.ExitCode);
        Assert.Contains("--idle-shutdown 2s", s.Log);
    }

    [Fact]
    public async Task Running_command_and_running_sandbox_keep_the_server()
    {
        await using var s = await ServerProcess.StartAsync(1, ["--idle-shutdown", "2s"]);
        var box = await Box.CreateAsync(s, tag: "idle");
        // One request that lasts 5 s (a command), then nothing but the running sandbox.
        Assert.Equal(0, (await box.ExecAsync("sleep 5", timeout: 30)).ExitCode);
        await Task.Delay(5000);
        Assert.True(s.IsRunning, $"the server ended while a sandbox ran. Log:\n{s.Log}");
        (await s.PostAsync(box.Path + "/stop", new { })).Expect(200);
        // A stopped sandbox does not keep it: it ends about 2 s after the stop.
        await Poll.UntilAsync(() => !s.IsRunning, ExitWithin, "the server to exit once its sandbox stopped");
        Assert.Equal(0, s.ExitCode);
        await s.RestartAsync();
        (await s.DeleteAsync(box.Path)).Expect(204);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("2x")]
    [InlineData("31d")]
    [InlineData("1.5m")]
    public async Task Bad_idle_shutdown_value_is_refused_naming_the_option(string bad)
    {
        using var server = Sandbox.Server.Launcher.ServerLauncher.Start(new Sandbox.Server.Launcher.ServerStartInfo
        {
            FileName = Sandbox.Server.Launcher.ServerStartInfo.DotnetHost(),
            Arguments = [ServerProcess.ServerDll, "--listen", "127.0.0.1:0", "--data-dir", "/nonexistent/never-made", "--idle-shutdown", bad],
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.WaitForExitAsync(cts.Token);
        Assert.Equal(2, server.ExitCode);
        var log = server.Log;
        Assert.Contains($"--idle-shutdown takes a duration", log);
        Assert.Contains("30m", log);
        Assert.Contains($"'{bad}'", log);
    }
}
