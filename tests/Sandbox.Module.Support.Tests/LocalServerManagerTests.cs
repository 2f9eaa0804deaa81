using System.Diagnostics;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Sandbox.Client;
using Sandbox.Module.Support;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Module.Support.Tests;

/// <summary>
/// <see cref="LocalServerManager"/> (Start-/Get-/Stop-SandboxServer) against the real server DLL, on fresh data directories
/// and free ports. Every server it starts is stopped, and killed if need be, when the test ends.
/// </summary>
public sealed class LocalServerManagerTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private readonly List<string> _dirs = [];
    private readonly SandboxEnvironment _env;

    /// <summary>
    /// The managers' default address: a port nothing listens on (taken from the OS and released), never 8765, so that a
    /// user's server on the default port changes no result here.
    /// </summary>
    private static readonly string DefaultEndpoint = $"http://127.0.0.1:{FreePort()}";

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private LocalServerManager NewManager() => new(_env, DefaultEndpoint);

    public LocalServerManagerTests()
    {
        // The default data directory points into a temp folder and the default address at an unused port (DefaultEndpoint), so
        // that nothing here looks at /var/lib/sandbox or port 8765's owner; PATH and DOTNET_ROOT stay so that dotnet is found the
        // usual way.
        var home = NewDir();
        var vars = new Dictionary<string, string>();
        foreach (var name in new[] { "PATH", "DOTNET_ROOT", "DOTNET_HOST_PATH" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v) vars[name] = v;
        _env = SandboxEnvironment.FromVariables(vars, isRoot: false, home: home);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var dir in _dirs)
        {
            // Whatever still runs on these directories (a failed assertion skipped the stop): SIGKILL it.
            foreach (var pid in ServerPidsFor(dir))
            {
                try
                {
                    using var p = Process.GetProcessById(pid);
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or OperationCanceledException)
                {
                }
            }
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private string NewDir()
    {
        var root = Environment.GetEnvironmentVariable("SANDBOX_TEST_DATA_ROOT") ?? "/var/tmp/sandbox-client-tests";
        var dir = Path.Combine(root, "m-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        _dirs.Add(dir);
        return dir;
    }

    /// <summary>The server build output the fixture runs (SANDBOX_SERVER_DLL, else the path baked in at build time).</summary>
    internal static string ServerDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SANDBOX_SERVER_DLL");
        if (!string.IsNullOrEmpty(fromEnv)) return Path.GetFullPath(fromEnv);
        var baked = typeof(LocalServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "SandboxServerDll").Value!;
        Assert.True(File.Exists(baked), $"no server build at {baked}");
        return baked;
    }

    /// <summary>Pids of live processes whose command line names <paramref name="dataDir"/> (Linux).</summary>
    private static List<int> ServerPidsFor(string dataDir)
    {
        var found = new List<int>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0');
                if (cmd.Contains(dataDir) && cmd.Any(a => a.EndsWith("Sandbox.Server.dll", StringComparison.Ordinal))) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private LocalServerOptions Options(string dataDir, int port = 0, string? serverPath = null, TimeSpan? timeout = null) => new()
    {
        Port = port,
        DataDirectory = dataDir,
        ServerPath = serverPath ?? ServerDll(),
        TtlGranularity = 1,
        StartTimeout = timeout ?? TimeSpan.FromSeconds(60),
    };

    private static async Task<T> Bounded<T>(Task<T> task) => await task.WaitAsync(Bound);

    [Fact]
    public async Task A_server_started_with_its_own_data_directory_is_listed_by_another_process_until_it_stops()
    {
        var dir = NewDir();
        var (server, _) = await Bounded(NewManager().StartAsync(Options(dir)));
        // A fresh manager with the same environment stands for a new shell: it knows nothing of this process's servers.
        var elsewhere = NewManager();
        Assert.StartsWith(Path.Combine(_env.HomeDirectory(), ".local", "state", "sandbox"), elsewhere.ServerIndexDirectory);
        var listed = await Bounded(elsewhere.ListAsync());
        var found = Assert.Single(listed, s => s.DataDirectory == Path.GetFullPath(dir));
        Assert.Equal(LocalServerStatus.Running, found.Status);
        Assert.Equal(server.Endpoint, found.Endpoint);

        await Bounded(elsewhere.StopAsync(dir, TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain(await Bounded(NewManager().ListAsync()), s => s.DataDirectory == Path.GetFullPath(dir));
        Assert.Empty(Directory.GetFiles(elsewhere.ServerIndexDirectory));
    }

    [Fact]
    public async Task A_data_plane_port_of_0_starts_the_data_plane_on_a_free_port_reported_while_the_server_runs()
    {
        var dir = NewDir();
        var (server, started) = await Bounded(NewManager().StartAsync(new LocalServerOptions
        {
            Port = 0, DataPlanePort = 0, DataDirectory = dir, ServerPath = ServerDll(), StartTimeout = TimeSpan.FromSeconds(60),
        }));
        Assert.True(started);
        Assert.Matches(@"^sandbox\.localhost:\d+$", server.DataPlaneDomain);
        Assert.DoesNotMatch(":0$", server.DataPlaneDomain!);
        Assert.Equal(Path.Combine(Path.GetFullPath(dir), "tls", "ca.crt"), server.DataPlaneCertificateAuthority);
        Assert.Contains("BEGIN CERTIFICATE", await File.ReadAllTextAsync(server.DataPlaneCertificateAuthority!));
        // The data plane listens on the port the file names (a TLS listener: a plain TCP connect is enough here).
        using (var tcp = new System.Net.Sockets.TcpClient())
            await tcp.ConnectAsync("127.0.0.1", int.Parse(server.DataPlaneDomain!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));

        var elsewhere = NewManager();
        var found = await Bounded(elsewhere.GetAsync(dir));
        Assert.Equal(server.DataPlaneDomain, found.DataPlaneDomain);
        Assert.Equal(server.DataPlaneCertificateAuthority, found.DataPlaneCertificateAuthority);

        // A stopped server's file may be stale: no data plane is reported for it.
        var stopped = await Bounded(elsewhere.StopAsync(dir, TimeSpan.FromSeconds(20)));
        Assert.Null(stopped.DataPlaneDomain);
        Assert.Null((await Bounded(elsewhere.GetAsync(dir))).DataPlaneDomain);
    }

    [Fact]
    public void The_server_index_follows_SANDBOX_STATE_DIR_then_XDG_STATE_HOME()
    {
        var home = NewDir();
        string IndexWith(Dictionary<string, string> vars) =>
            new LocalServerManager(SandboxEnvironment.FromVariables(vars, home: home)).ServerIndexDirectory;
        Assert.Equal("/tmp/s/servers", IndexWith(new() { ["SANDBOX_STATE_DIR"] = "/tmp/s", ["XDG_STATE_HOME"] = "/tmp/x" }));
        Assert.Equal("/tmp/x/sandbox/servers", IndexWith(new() { ["XDG_STATE_HOME"] = "/tmp/x" }));
        Assert.Equal(Path.Combine(home, ".local/state/sandbox/servers"), IndexWith([]));
    }

    [Fact]
    public async Task Start_find_start_again_list_stop_and_stop_again()
    {
        var dir = NewDir();
        var manager = NewManager();
        var progress = new List<string>();

        var (server, started) = await Bounded(manager.StartAsync(Options(dir), new SyncProgress<string>(progress.Add)));
        Assert.True(started);
        Assert.Equal(LocalServerStatus.Running, server.Status);
        Assert.True(server.IsRunning);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", server.Endpoint);
        Assert.DoesNotMatch(":0$", server.Endpoint);
        Assert.Equal(Path.GetFullPath(dir), server.DataDirectory);
        Assert.True(server.StartedByModule);
        Assert.Equal(ServerDll(), server.ServerPath);
        Assert.Equal(Path.Combine(dir, LocalServerManager.LogFileName), server.LogFile);
        Assert.True(server.StartedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
        Assert.True(File.Exists(server.ApiKeyFile));
        Assert.Null(server.DataPlaneDomain); // no DataPlanePort: no --data-plane-listen, no data plane
        Assert.False(File.Exists(Path.Combine(dir, LocalDataPlane.FileName)));
        var pid = Assert.IsType<int>(server.ProcessId);
        Assert.Equal([pid], ServerPidsFor(dir)); // the recorded pid is the server itself (not a shell around it)
        Assert.Contains(progress, p => p.StartsWith("starting ", StringComparison.Ordinal) && p.Contains(dir));
        Assert.Contains("listening on " + server.Endpoint, progress);
        Assert.Contains("listening on", await File.ReadAllTextAsync(server.LogFile!));

        // Health, and the server really serves with the key from its key file.
        Assert.True(await manager.IsHealthyAsync(server.Endpoint));
        Assert.True(await manager.IsHealthyAsync(server.Endpoint + "/"));
        using (var client = new SandboxClient(new SandboxConnectionSettings(server.Endpoint, (await File.ReadAllTextAsync(server.ApiKeyFile)).Trim())))
        {
            var templates = new List<string>();
            await foreach (var t in client.Templates.ListAllAsync()) templates.Add(t.Name);
            Assert.Contains("base", templates);
        }

        // The record: module-server.json in the data directory, read again by another manager (another shell).
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, LocalServerManager.StateFileName))).RootElement;
        Assert.Equal(pid, state.GetProperty("pid").GetInt32());
        Assert.Equal(server.Endpoint, state.GetProperty("endpoint").GetString());
        var otherShell = NewManager();
        // ... which finds it through the user's server index, though it never looked at this directory.
        Assert.Contains(Path.GetFullPath(dir), otherShell.KnownDataDirectories);
        var found = await Bounded(otherShell.GetAsync(dir));
        Assert.Equal(LocalServerStatus.Running, found.Status);
        Assert.Equal(server.Endpoint, found.Endpoint);
        Assert.Equal(pid, found.ProcessId);
        Assert.True(found.StartedByModule);
        Assert.Equal(server.LogFile, found.LogFile);
        Assert.Equal(server.ServerPath, found.ServerPath);
        Assert.Contains(Path.GetFullPath(dir), otherShell.KnownDataDirectories); // looked at, so listed from now on
        var listed = await Bounded(otherShell.ListAsync());
        Assert.Contains(listed, s => s.DataDirectory == Path.GetFullPath(dir) && s.IsRunning);
        Assert.Contains(listed, s => s.DataDirectory == SandboxConnectionSettings.LocalDataDirectory(_env) && s.Status == LocalServerStatus.Stopped);

        // A second start, from either manager, returns the same server and starts nothing.
        var (again, startedAgain) = await Bounded(otherShell.StartAsync(Options(dir)));
        Assert.False(startedAgain);
        Assert.Equal(pid, again.ProcessId);
        Assert.Equal(server.Endpoint, again.Endpoint);
        var (same, startedSame) = await Bounded(manager.StartAsync(Options(dir)));
        Assert.False(startedSame);
        Assert.Equal(pid, same.ProcessId);
        Assert.Equal([pid], ServerPidsFor(dir));

        // Another data directory but this server's port: something already answers there, so nothing is started either.
        var port = new Uri(server.Endpoint).Port;
        var otherDir = NewDir();
        var (atPort, startedAtPort) = await Bounded(manager.StartAsync(Options(otherDir, port)));
        Assert.False(startedAtPort);
        Assert.Equal(server.Endpoint, atPort.Endpoint);
        Assert.True(atPort.IsRunning);
        Assert.Empty(ServerPidsFor(otherDir));

        // Stop (from the other shell): SIGTERM, the process ends, the record goes.
        var watch = Stopwatch.StartNew();
        var stopped = await Bounded(otherShell.StopAsync(dir, TimeSpan.FromSeconds(30)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), $"the stop took {watch.Elapsed} (the SIGTERM was not seen to end the server)");
        Assert.Equal(LocalServerStatus.Stopped, stopped.Status);
        Assert.Null(stopped.ProcessId);
        Assert.Equal(server.Endpoint, stopped.Endpoint);
        Assert.Equal(Path.GetFullPath(dir), stopped.DataDirectory);
        Assert.False(File.Exists(Path.Combine(dir, LocalServerManager.StateFileName)));
        Assert.Empty(ServerPidsFor(dir));
        Assert.False(await manager.IsHealthyAsync(server.Endpoint));
        var after = await Bounded(manager.GetAsync(dir));
        Assert.Equal(LocalServerStatus.Stopped, after.Status);
        Assert.False(after.StartedByModule);

        // Stopping again is the clear "not running" error.
        var e = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(manager.StopAsync(dir, TimeSpan.FromSeconds(5))));
        Assert.Equal(LocalServerException.NotRunning, e.ErrorId);
        Assert.Equal(SandboxErrorCategory.ObjectNotFound, e.CategoryName);
        Assert.Equal(Path.GetFullPath(dir), e.TargetName);
        Assert.Contains("no local server runs with data directory " + Path.GetFullPath(dir), e.Message);
    }

    [Fact]
    public async Task A_stale_record_reports_stopped_and_a_new_start_replaces_it()
    {
        var dir = NewDir();
        var manager = NewManager();
        // A record left by a server that died (its pid is not a Sandbox.Server process: this test process's pid).
        await File.WriteAllTextAsync(Path.Combine(dir, LocalServerManager.StateFileName),
            $$"""{"pid": {{Environment.ProcessId}}, "endpoint": "http://127.0.0.1:9", "log_file": "/nowhere.log"}""");
        var stale = await Bounded(manager.GetAsync(dir));
        Assert.Equal(LocalServerStatus.Stopped, stale.Status);
        Assert.Null(stale.ProcessId);
        Assert.True(stale.StartedByModule);
        Assert.Equal("http://127.0.0.1:9", stale.Endpoint);
        var notRunning = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(manager.StopAsync(dir, TimeSpan.FromSeconds(5))));
        Assert.Equal(LocalServerException.NotRunning, notRunning.ErrorId);

        var (server, started) = await Bounded(manager.StartAsync(Options(dir)));
        try
        {
            Assert.True(started);
            Assert.NotEqual("http://127.0.0.1:9", server.Endpoint);
            Assert.Equal(server.Endpoint, (await Bounded(manager.GetAsync(dir))).Endpoint);
        }
        finally
        {
            await Bounded(manager.StopAsync(dir, TimeSpan.FromSeconds(30)));
        }
        Assert.Empty(ServerPidsFor(dir));

        // A record that is not JSON counts as none.
        await File.WriteAllTextAsync(Path.Combine(dir, LocalServerManager.StateFileName), "{ not json");
        var garbage = await Bounded(manager.GetAsync(dir));
        Assert.Equal(LocalServerStatus.Stopped, garbage.Status);
        Assert.False(garbage.StartedByModule);
    }

    [Fact]
    public async Task A_missing_server_is_SandboxServerNotFound_and_nothing_is_started()
    {
        var dir = NewDir();
        var manager = NewManager();
        var missing = Path.Combine(dir, "nope", "Sandbox.Server.dll");
        var e = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(manager.StartAsync(Options(dir, serverPath: missing))));
        Assert.Equal(LocalServerException.NotFound, e.ErrorId);
        Assert.Equal(SandboxErrorCategory.ObjectNotFound, e.CategoryName);
        Assert.Contains("the local server was not found at " + missing, e.Message);
        Assert.Contains("SANDBOX_SERVER_PATH", e.Message);
        Assert.Equal(missing, e.TargetName);

        // No path given and none to find (the environment has no SANDBOX_SERVER_PATH): the same error, naming the data directory.
        var none = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(manager.StartAsync(new LocalServerOptions { Port = 0, DataDirectory = dir })));
        Assert.Equal(LocalServerException.NotFound, none.ErrorId);
        Assert.Contains("the local server was not found:", none.Message);
        Assert.Equal(Path.GetFullPath(dir), none.TargetName);

        // SANDBOX_SERVER_PATH in the manager's environment is where it looks when the options name no server.
        var viaEnv = new LocalServerManager(SandboxEnvironment.FromVariables(new Dictionary<string, string> { ["SANDBOX_SERVER_PATH"] = missing }, home: dir));
        var stillNone = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(viaEnv.StartAsync(new LocalServerOptions { Port = 0, DataDirectory = dir })));
        Assert.Equal(LocalServerException.NotFound, stillNone.ErrorId);

        Assert.Empty(ServerPidsFor(dir));
        Assert.False(File.Exists(Path.Combine(dir, LocalServerManager.StateFileName)));
    }

    [Fact]
    public async Task A_server_that_dies_while_starting_is_SandboxServerStartFailed_with_its_log()
    {
        var dir = NewDir();
        var manager = NewManager();
        var bogus = Path.Combine(dir, "Sandbox.Server.dll");
        await File.WriteAllTextAsync(bogus, "not an assembly");
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(manager.StartAsync(Options(dir, serverPath: bogus, timeout: TimeSpan.FromSeconds(60)))));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(50), $"took {watch.Elapsed}: the early exit was not noticed");
        Assert.Equal(LocalServerException.StartFailed, e.ErrorId);
        Assert.Contains("exited with code", e.Message);
        Assert.Equal(Path.GetFullPath(dir), e.TargetName);
        Assert.DoesNotContain("(nothing in", e.Message); // dotnet's complaint is in the log tail
        Assert.False(File.Exists(Path.Combine(dir, LocalServerManager.StateFileName)));
        Assert.Equal(LocalServerStatus.Stopped, (await Bounded(manager.GetAsync(dir))).Status);
    }

    [Fact]
    public async Task A_cancelled_start_ends_the_process_it_began()
    {
        var dir = NewDir();
        var manager = NewManager();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<string>(m =>
        {
            // Reported just before the process starts: the wait that follows sees the cancellation at once (a start that
            // already finished would not, and the server answers within a second here).
            if (m.StartsWith("starting ", StringComparison.Ordinal)) cts.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded(manager.StartAsync(Options(dir), progress, cts.Token)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (ServerPidsFor(dir).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Empty(ServerPidsFor(dir));
        Assert.False(File.Exists(Path.Combine(dir, LocalServerManager.StateFileName)));
    }

    [Fact]
    public async Task Health_is_false_for_nothing_listening_and_for_a_bad_endpoint()
    {
        var manager = NewManager();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // a port nobody listens on now
        Assert.False(await Bounded(manager.IsHealthyAsync($"http://127.0.0.1:{port}")));
        Assert.False(await Bounded(manager.IsHealthyAsync("not a url")));
        Assert.False(await Bounded(manager.IsHealthyAsync("ftp://127.0.0.1:1")));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => manager.IsHealthyAsync($"http://127.0.0.1:{port}", cts.Token));
    }

    [Fact]
    public async Task Get_of_a_directory_with_no_record_is_stopped_and_not_started_by_the_module()
    {
        var dir = NewDir();
        var manager = NewManager();
        var info = await Bounded(manager.GetAsync(dir));
        Assert.Equal(LocalServerStatus.Stopped, info.Status);
        Assert.Null(info.ProcessId);
        Assert.False(info.StartedByModule);
        Assert.Equal(Path.GetFullPath(dir), info.DataDirectory);
        var e = await Assert.ThrowsAsync<LocalServerException>(() => Bounded(manager.StopAsync(dir, TimeSpan.FromSeconds(5))));
        Assert.Equal(LocalServerException.NotRunning, e.ErrorId);
        Assert.Contains(Path.GetFullPath(dir), e.Message);
    }
}
