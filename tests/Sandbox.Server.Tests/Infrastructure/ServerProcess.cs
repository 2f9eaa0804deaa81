using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Sandbox.Server.Launcher;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>
/// The real server (Sandbox.Server.dll) running as a child process on its own data directory.
/// It can be SIGKILLed and started again on the same data directory and port.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly object _logLock = new();
    private readonly StringBuilder _log = new();
    private readonly HashSet<string> _createdIds = [];
    private readonly HashSet<string> _cgroupParents = [];
    private ServerLauncher? _server;

    private ServerProcess(string dataDir, int? ttlGranularity)
    {
        DataDir = dataDir;
        TtlGranularity = ttlGranularity;
    }

    /// <summary>Where the server's build output is (baked in at build time; SANDBOX_SERVER_DLL overrides).</summary>
    public static string ServerDll { get; } = ResolveServerDll();

    /// <summary>The data directory (fresh, outside /tmp so that hiding it inside sandboxes is the server's work).</summary>
    public string DataDir { get; }

    /// <summary>The --ttl-granularity passed, or null for the server's default (60).</summary>
    public int? TtlGranularity { get; }

    public Uri BaseUrl { get; private set; } = null!;
    public int Port { get; private set; }
    public string ApiKey { get; private set; } = "";
    /// <summary>Client with BaseAddress = <see cref="BaseUrl"/> and the X-Api-Key header.</summary>
    public HttpClient Http { get; private set; } = null!;
    /// <summary>Client without any key.</summary>
    public HttpClient Anonymous { get; private set; } = null!;
    public int Pid => _server?.ProcessId ?? throw new InvalidOperationException("server not running");
    public bool IsRunning => _server is { HasExited: false };
    /// <summary>The exit code of the current run once it ended by itself (e.g. --idle-shutdown).</summary>
    public int? ExitCode => _server?.ExitCode;
    /// <summary>The ready line of the current run.</summary>
    public ServerReady? Ready => _server?.Ready;

    /// <summary>The fixture's notes and the output of every run of the server on this data directory, oldest first.</summary>
    public string Log
    {
        get
        {
            lock (_logLock) return _log.ToString() + (_server?.Log ?? "");
        }
    }

    /// <summary>Starts a server on a fresh data dir and a free port.</summary>
    public static async Task<ServerProcess> StartAsync(int? ttlGranularity = 1) => await StartAsync(ttlGranularity, []);

    /// <summary>Further command-line options of the server (kept for restarts), e.g. --network-range.</summary>
    public IReadOnlyList<string> ExtraArgs { get; private set; } = [];

    /// <summary>Starts a server with further command-line options.</summary>
    public static async Task<ServerProcess> StartAsync(int? ttlGranularity, IReadOnlyList<string> extraArgs)
    {
        var root = Environment.GetEnvironmentVariable("SANDBOX_TEST_DATA_ROOT") ?? "/var/tmp/sandbox-server-tests";
        var dataDir = Path.Combine(root, "d-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        PruneOldLogs(root);
        var server = new ServerProcess(dataDir, ttlGranularity) { ExtraArgs = extraArgs };
        try
        {
            await server.LaunchAsync(0);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Remembers a sandbox id so that disposal deletes it even if a test forgot to.</summary>
    public void Track(string id)
    {
        lock (_createdIds) _createdIds.Add(id);
        lock (_cgroupParents)
            if (_cgroupParents.Count == 0)
                foreach (var dir in HostProbe.CgroupDirs(id))
                    _cgroupParents.Add(Path.GetDirectoryName(dir)!);
    }

    /// <summary>SIGKILL, no chance to clean up (Process.Kill sends SIGKILL on Linux).</summary>
    public async Task KillAsync()
    {
        var server = _server ?? throw new InvalidOperationException("server not running");
        server.Kill();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await server.WaitForExitAsync(cts.Token);
    }

    /// <summary>
    /// SIGTERM, as an operator stops the server: it releases what it prepared ahead (warm launchers, its cgroup roots)
    /// and sandboxes outlive it. SIGKILL if it does not exit in time.
    /// </summary>
    public async Task StopAsync()
    {
        var server = _server ?? throw new InvalidOperationException("server not running");
        if (server.HasExited) return;
        if (!await server.StopAsync(TimeSpan.FromSeconds(15))) AppendLog("test", "server did not end after SIGTERM and SIGKILL");
    }

    /// <summary>Starts the server again on the same data dir and the same port.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning) await KillAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await LaunchAsync(Port);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !IsRunning)
            {
                await Task.Delay(500); // e.g. the port not free yet
            }
        }
    }

    private async Task LaunchAsync(int port)
    {
        var info = new ServerStartInfo { FileName = ServerStartInfo.DotnetHost(), Arguments = [ServerDll, "--listen", $"127.0.0.1:{port}", "--data-dir", DataDir] };
        if (TtlGranularity is { } g)
        {
            info.Arguments.Add("--ttl-granularity");
            info.Arguments.Add(g.ToString());
        }
        foreach (var arg in ExtraArgs) info.Arguments.Add(arg);
        info.Environment["DOTNET_NOLOGO"] = "1";

        if (_server is { } previous)
        {
            AppendLog("server", previous.Log.TrimEnd());
            previous.Dispose();
        }
        AppendLog("test", $"starting {info.FileName} {string.Join(' ', info.Arguments)}");
        var server = ServerLauncher.Start(info);
        _server = server;
        string url;
        try
        {
            url = (await server.WaitForReadyAsync(StartTimeout)).Endpoint;
        }
        catch (ServerStartException e)
        {
            server.Kill();
            throw new InvalidOperationException($"server did not start ({e.Message}). Log:\n{Log}", e);
        }

        BaseUrl = new Uri(url.TrimEnd('/') + "/");
        if (port != 0 && BaseUrl.Port != port)
            throw new InvalidOperationException($"restarted server listens on {BaseUrl} instead of port {port}");
        Port = BaseUrl.Port;
        var keyFile = Path.Combine(DataDir, "api-key");
        if (!File.Exists(keyFile)) throw new InvalidOperationException($"no api-key file in {DataDir} after start");
        ApiKey = File.ReadAllText(keyFile).Trim();
        if (ApiKey.Length == 0) throw new InvalidOperationException("api-key file is empty");

        Http?.Dispose();
        Anonymous?.Dispose();
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(3) };
        Http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        Anonymous = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(1) };
    }

    /// <summary>Server logs of earlier runs are kept for diagnosis; only the newest few.</summary>
    private static void PruneOldLogs(string root)
    {
        try
        {
            foreach (var old in new DirectoryInfo(root).GetFiles("d-*.log").OrderByDescending(f => f.LastWriteTimeUtc).Skip(20))
                old.Delete();
        }
        catch (IOException)
        {
        }
    }

    private void AppendLog(string stream, string line)
    {
        lock (_logLock)
        {
            if (_log.Length > 200_000) _log.Remove(0, 100_000);
            _log.Append('[').Append(stream).Append("] ").AppendLine(line);
        }
    }

    private static string ResolveServerDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SANDBOX_SERVER_DLL");
        if (!string.IsNullOrEmpty(fromEnv)) return Path.GetFullPath(fromEnv);
        var baked = typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SandboxServerDll")?.Value;
        if (string.IsNullOrEmpty(baked))
            throw new InvalidOperationException("the test assembly does not know where Sandbox.Server.dll is; set SANDBOX_SERVER_DLL");
        if (!File.Exists(baked))
            throw new InvalidOperationException($"{baked} does not exist: build the tests (dotnet test builds the server through the ProjectReference)");
        return baked;
    }

    /// <summary>Deletes every sandbox (those the tests tracked and any the server lists), kills the server, removes the data dir.</summary>
    public async Task DisposeAsync_()
    {
        var leftovers = new List<string>();
        if (IsRunning)
        {
            var ids = new HashSet<string>();
            lock (_createdIds) ids.UnionWith(_createdIds);
            try
            {
                for (var offset = 0; ;)
                {
                    var page = await Http.GetFromJsonAsync<JsonElement>($"v2/sandboxes/boxes?limit=1000&offset={offset}");
                    var items = page.GetProperty("sandboxes").EnumerateArray().ToList();
                    foreach (var s in items) ids.Add(s.GetProperty("id").GetString()!);
                    if (items.Count < 1000) break;
                    offset += items.Count;
                }
            }
            catch (Exception e)
            {
                AppendLog("test", $"listing sandboxes at dispose failed: {e.Message}");
            }
            // The server's per-data-dir cgroup parents (sandbox-<hash>), removed below once empty.
            foreach (var id in ids)
            foreach (var dir in HostProbe.CgroupDirs(id))
                _cgroupParents.Add(Path.GetDirectoryName(dir)!);
            foreach (var id in ids)
            {
                try
                {
                    var name = await NameOfAsync(id);
                    if (name is null) continue;
                    using var r = await Http.DeleteAsync($"v2/sandboxes/boxes/{Uri.EscapeDataString(name)}");
                    if (r.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.NotFound)) leftovers.Add(id);
                }
                catch (Exception)
                {
                    leftovers.Add(id);
                }
            }
        }
        else
        {
            lock (_createdIds) leftovers.AddRange(_createdIds);
        }

        if (IsRunning) await StopAsync();
        Http?.Dispose();
        Anonymous?.Dispose();
        try
        {
            // Kept for diagnosis: the server's own output of the last run.
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(DataDir)!, Path.GetFileName(DataDir) + ".log"), Log);
        }
        catch (IOException)
        {
        }

        // Last resort for sandboxes the server could not delete: they belong to this test run only.
        foreach (var id in leftovers) HostProbe.ForceCleanup(id);
        foreach (var parent in _cgroupParents)
        {
            try
            {
                if (Path.GetFileName(parent).StartsWith("sandbox-", StringComparison.Ordinal)) Directory.Delete(parent); // rmdir: only if empty
            }
            catch (Exception)
            {
            }
        }
        HostProbe.UnmountUnder(DataDir);
        try
        {
            if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        }
        catch (Exception)
        {
            // A mount the server left behind: the tests that care report it; do not hide their result.
        }
    }

    public ValueTask DisposeAsync() => new(DisposeAsync_());

    private async Task<string?> NameOfAsync(string id)
    {
        for (var offset = 0; ;)
        {
            var page = await Http.GetFromJsonAsync<JsonElement>($"v2/sandboxes/boxes?limit=1000&offset={offset}");
            var items = page.GetProperty("sandboxes").EnumerateArray().ToList();
            foreach (var s in items)
                if (s.GetProperty("id").GetString() == id) return s.GetProperty("name").GetString();
            if (items.Count < 1000) return null;
            offset += items.Count;
        }
    }
}
