using System.Diagnostics;
using System.Reflection;
using Sandbox.Server.Launcher;

namespace Sandbox.Client.Tests.Infrastructure;

/// <summary>
/// The real local server (Sandbox.Server.dll) as a child process on a fresh data directory and a free port:
/// <c>dotnet Sandbox.Server.dll --listen 127.0.0.1:0 --data-dir DIR --ttl-granularity 1</c>. Disposal deletes the
/// sandboxes it made, stops it (SIGTERM, then SIGKILL) and removes the data directory.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private ServerLauncher? _server;

    private LocalServer(string dataDir) => DataDir = dataDir;

    /// <summary>The data directory.</summary>
    public string DataDir { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The port.</summary>
    public int Port { get; private set; }

    /// <summary>The key from <c>{DataDir}/api-key</c>.</summary>
    public string ApiKey { get; private set; } = "";

    /// <summary>What the server printed (for failure messages).</summary>
    public string Log => _server?.Log ?? "";

    /// <summary>Starts a server and waits for its ready line.</summary>
    public static async Task<LocalServer> StartAsync()
    {
        var root = Environment.GetEnvironmentVariable("SANDBOX_TEST_DATA_ROOT") ?? "/var/tmp/sandbox-client-tests";
        var dataDir = Path.Combine(root, "d-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        var server = new LocalServer(dataDir);
        try
        {
            await server.LaunchAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>A client for this server with explicit settings (no environment involved).</summary>
    public SandboxClient CreateClient(SandboxClientOptions? options = null, string? endpoint = null) =>
        new(SandboxConnectionSettings.Resolve(endpoint ?? Endpoint, ApiKey, SandboxEnvironment.FromVariables(new Dictionary<string, string>())), options);

    private async Task LaunchAsync()
    {
        var info = new ServerStartInfo { FileName = ServerStartInfo.DotnetHost(), Arguments = [ServerDll(), "--listen", "127.0.0.1:0", "--data-dir", DataDir, "--ttl-granularity", "1"] };
        info.Environment["DOTNET_NOLOGO"] = "1";
        _server = ServerLauncher.Start(info);
        ServerReady ready;
        try
        {
            ready = await _server.WaitForReadyAsync(StartTimeout);
        }
        catch (ServerStartException e)
        {
            throw new InvalidOperationException($"the local server did not start ({e.Message}). Log:\n{Log}", e);
        }
        Endpoint = ready.Endpoint;
        Port = new Uri(Endpoint).Port;
        ApiKey = (await File.ReadAllTextAsync(Path.Combine(DataDir, "api-key"))).Trim();
        if (ApiKey.Length == 0) throw new InvalidOperationException("the api-key file is empty");
    }

    /// <summary>Deletes every sandbox, stops the server (SIGTERM, then SIGKILL), removes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            try
            {
                using var client = CreateClient(new SandboxClientOptions { Retry = SandboxRetryPolicy.None, DefaultTimeout = TimeSpan.FromSeconds(30) });
                var all = new List<Sandbox>();
                await foreach (var s in client.Sandboxes.ListAllAsync()) all.Add(s);
                foreach (var s in all)
                {
                    try
                    {
                        await client.Sandboxes.DeleteAsync(s.Name);
                    }
                    catch (SandboxApiException)
                    {
                    }
                }
            }
            catch (Exception)
            {
                // Best effort: the kill and the directory removal below still run.
            }
            // SIGTERM first, so that the server ends its warm launchers and unmounts their filesystems; SIGKILL after 15 s.
            await _server!.StopAsync(TimeSpan.FromSeconds(15));
        }
        _server?.Dispose();
        try
        {
            // Kept for diagnosing failures: the server's own log of this run.
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "sandbox-client-tests-server.log"), Log);
        }
        catch (IOException)
        {
        }
        UnmountUnder(DataDir);
        try
        {
            if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        }
        catch (Exception)
        {
            // A mount left behind; not this suite's subject.
        }
    }

    private static string ServerDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SANDBOX_SERVER_DLL");
        if (!string.IsNullOrEmpty(fromEnv)) return Path.GetFullPath(fromEnv);
        var baked = typeof(LocalServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "SandboxServerDll")?.Value;
        if (string.IsNullOrEmpty(baked) || !File.Exists(baked))
            throw new InvalidOperationException($"Sandbox.Server.dll not found ('{baked}'): build the tests, or set SANDBOX_SERVER_DLL");
        return baked;
    }

    /// <summary>Detaches every mount left below <paramref name="dir"/> (deepest first), e.g. by a server that was killed.</summary>
    private static void UnmountUnder(string dir)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)) + "/";
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f.Length > 4)
            .Select(f => f[4]).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Distinct().OrderByDescending(m => m.Length).ToList();
        foreach (var mount in mounts)
        {
            try
            {
                using var umount = Process.Start(new ProcessStartInfo("umount", ["-l", mount]) { UseShellExecute = false, RedirectStandardError = true });
                umount?.WaitForExit(10000);
            }
            catch (Exception)
            {
            }
        }
    }
}

/// <summary>One server for every test of the <see cref="ServerCollection"/>.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    /// <summary>The server.</summary>
    public LocalServer Server { get; private set; } = null!;

    /// <summary>A client with default options.</summary>
    public SandboxClient Client { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Server = await LocalServer.StartAsync();
        Client = Server.CreateClient();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }

    private int _counter;

    /// <summary>A fresh sandbox name for a test.</summary>
    public string NewName(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
}

/// <summary>The tests that share one real server.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "local server";
}
