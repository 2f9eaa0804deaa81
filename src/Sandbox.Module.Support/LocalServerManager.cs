using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sandbox.Client;
using Sandbox.Server.Launcher;

namespace Sandbox.Module.Support;

/// <summary>
/// Starts, finds and stops local servers (the self-contained <c>Sandbox.Server --listen ... --data-dir ...</c>, or
/// <c>dotnet Sandbox.Server.dll ...</c>), with no PowerShell
/// reference. A server the module starts runs in its own session (so Ctrl+C in the shell does not reach it), writes its output
/// to <c>{data dir}/server.log</c>, and is recorded in <c>{data dir}/module-server.json</c> so that another shell finds it.
/// Health is <c>GET {endpoint}/healthz</c>.
/// </summary>
public sealed class LocalServerManager
{
    /// <summary>The state file's name in the data directory.</summary>
    public const string StateFileName = "module-server.json";

    /// <summary>The log file's name in the data directory.</summary>
    public const string LogFileName = "server.log";

    private static readonly JsonSerializerOptions StateJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
    private readonly HttpClient _health;
    private readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly SandboxEnvironment _environment;
    private readonly string? _defaultEndpointGiven;

    /// <summary>The default server's address: the one given to the constructor, else SANDBOX_LOCAL_PORT's, else 127.0.0.1:8765 (read at each use).</summary>
    private string DefaultEndpoint => _defaultEndpointGiven ?? SandboxConnectionSettings.NormalizeEndpoint(SandboxConnectionSettings.LocalEndpoint(_environment)).Endpoint;

    /// <summary>Creates a manager.</summary>
    /// <param name="environment">Where variables and the default data directory come from; the process by default.</param>
    /// <param name="defaultEndpoint">
    /// The default server's address (<see cref="SandboxConnectionSettings.DefaultLocalEndpoint"/> unless given): what the default data
    /// directory reports when it has no record, and where <see cref="EnsureDefaultServerAsync"/> looks and starts. Tests give another
    /// so that a user's server on the default port changes nothing.
    /// </param>
    public LocalServerManager(SandboxEnvironment? environment = null, string? defaultEndpoint = null)
    {
        _environment = environment ?? SandboxEnvironment.Process;
        _defaultEndpointGiven = defaultEndpoint is null ? null : SandboxConnectionSettings.NormalizeEndpoint(defaultEndpoint).Endpoint;
        _health = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), UseProxy = false }) { Timeout = TimeSpan.FromSeconds(3) };
    }

    /// <summary>The manager the module's cmdlets share (servers are processes of the machine, not of a runspace).</summary>
    public static LocalServerManager Shared { get; } = new();

    /// <summary>
    /// Data directories of the default server, of servers this process started or looked at, and of every server the module
    /// started for this user in any shell (the index in <see cref="ServerIndexDirectory"/>).
    /// </summary>
    public IReadOnlyList<string> KnownDataDirectories =>
        new[] { SandboxConnectionSettings.LocalDataDirectory(_environment) }.Concat(_known.Keys).Concat(IndexedDataDirectories())
            .Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Where the module notes each server it starts, one file per data directory, so that <c>Get-SandboxServer</c> in another
    /// shell finds servers started with <c>-DataDirectory</c>: <c>SANDBOX_STATE_DIR</c>, else <c>$XDG_STATE_HOME/sandbox</c>,
    /// else <c>~/.local/state/sandbox</c>, then <c>servers</c>.
    /// </summary>
    public string ServerIndexDirectory
    {
        get
        {
            var configured = _environment.GetVariable("SANDBOX_STATE_DIR");
            var xdg = _environment.GetVariable("XDG_STATE_HOME");
            var root = !string.IsNullOrWhiteSpace(configured) ? configured
                : !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg) ? Path.Combine(xdg, "sandbox")
                : Path.Combine(_environment.HomeDirectory(), ".local", "state", "sandbox");
            return Path.Combine(root, "servers");
        }
    }

    private string IndexEntry(string dataDir) =>
        Path.Combine(ServerIndexDirectory, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir)))).Substring(0, 16).ToLowerInvariant());

    /// <summary>Notes a started server's data directory in the index (best effort: the index only helps finding it).</summary>
    private void AddToIndex(string dataDir)
    {
        try
        {
            Directory.CreateDirectory(ServerIndexDirectory);
            File.WriteAllText(IndexEntry(dataDir), Path.GetFullPath(dataDir));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The indexed data directories that still hold a server's state; entries whose state is gone are dropped.</summary>
    private IEnumerable<string> IndexedDataDirectories()
    {
        string[] entries;
        try
        {
            entries = Directory.Exists(ServerIndexDirectory) ? Directory.GetFiles(ServerIndexDirectory) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            string? dir;
            try
            {
                dir = File.ReadAllText(entry).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (dir.Length > 0 && Path.IsPathRooted(dir) && File.Exists(Path.Combine(dir, StateFileName))) yield return dir;
            else TryDelete(entry); // the server was stopped, or its data directory removed
        }
    }


    /// <summary>True when <paramref name="dataDirectory"/> is the default server's (the one <see cref="EnsureDefaultServerAsync"/> starts).</summary>
    public bool IsDefaultDataDirectory(string dataDirectory) =>
        Path.GetFullPath(dataDirectory) == Path.GetFullPath(SandboxConnectionSettings.LocalDataDirectory(_environment));

    /// <summary>True when <c>GET {endpoint}/healthz</c> answers 2xx.</summary>
    public async Task<bool> IsHealthyAsync(string endpoint, CancellationToken cancellationToken = default)
    {
        try
        {
            var (normal, _) = SandboxConnectionSettings.NormalizeEndpoint(endpoint);
            using var response = await _health.GetAsync(normal + "/healthz", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ArgumentException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>What answers at <paramref name="endpoint"/>, for messages: its status, Server header and the start of its body.</summary>
    private async Task<string> DescribeAsync(string endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _health.GetAsync(endpoint + "/healthz", cancellationToken).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).ReplaceLineEndings(" ").Trim();
            var server = response.Headers.Server.Count > 0 ? $", Server: {response.Headers.Server}" : "";
            return $"GET /healthz: HTTP {(int)response.StatusCode}{server}, body '{(body.Length > 80 ? body[..80] + "..." : body)}'";
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return $"GET /healthz failed: {e.Message}";
        }
    }

    /// <summary>
    /// Starts a server unless one already answers at the options' address (or is recorded for its data directory).
    /// </summary>
    /// <param name="options">Address, data directory, server DLL.</param>
    /// <param name="progress">Receives what is being done, for <c>Write-Progress</c> or <c>Write-Verbose</c>.</param>
    /// <param name="cancellationToken">Cancels the wait (the process is then ended).</param>
    /// <returns>The server, and whether this call started it.</returns>
    /// <exception cref="LocalServerException">The machine cannot run the server (<c>SandboxServerUnsupportedPlatform</c>, <c>SandboxServerRequiresRoot</c>, <c>SandboxServerMissingDependency</c>), the server or dotnet is missing, or it did not answer in time (the log's tail is in the message).</exception>
    public async Task<(LocalServerInfo Server, bool Started)> StartAsync(LocalServerOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dataDir = options.ResolvedDataDirectory(_environment);
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var existing = await GetAsync(dataDir, cancellationToken).ConfigureAwait(false);
            if (existing.IsRunning) return (existing, false);
            if (options.Port != 0 && await IsHealthyAsync(options.Endpoint, cancellationToken).ConfigureAwait(false))
                return (new LocalServerInfo { Endpoint = options.Endpoint, Status = LocalServerStatus.Running, DataDirectory = dataDir }, false);
            return (await LaunchAsync(options, dataDir, progress, cancellationToken).ConfigureAwait(false), true);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>What the configuration chain's last step needs: the default server, started when it does not answer.</summary>
    /// <param name="moduleDirectory">The module's folder (for the bundled server).</param>
    /// <param name="progress">Receives what is being done.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task<(LocalServerInfo Server, bool Started)> EnsureDefaultServerAsync(string? moduleDirectory, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var options = LocalServerOptions.ForDefaultServer(moduleDirectory, DefaultEndpoint);
        var dataDir = options.ResolvedDataDirectory(_environment);
        var now = await GetAsync(dataDir, cancellationToken).ConfigureAwait(false);
        if (now.Status == LocalServerStatus.Foreign)
            // Its key is not sent to it.
            throw new LocalServerException(
                $"something that is not this user's local sandbox server answers at {options.Endpoint} ({await DescribeAsync(options.Endpoint, cancellationToken).ConfigureAwait(false)}), " +
                $"and the default data directory {dataDir} holds no record or key of a server there. To use it anyway, connect to it explicitly " +
                $"(Connect-Sandbox -Endpoint {options.Endpoint} -ApiKey ..., or SANDBOX_ENDPOINT); to run your own, Start-SandboxServer -Port 0 and Connect-Sandbox -Server, " +
                "or set SANDBOX_LOCAL_PORT to a free port",
                LocalServerException.Foreign, SandboxErrorCategory.ResourceExists, options.Endpoint);
        if (now.IsRunning) return (now, false);
        return await StartAsync(options, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The server recorded for <paramref name="dataDirectory"/> (default data directory when null): running, not responding or
    /// stopped. The default data directory with no record reports whether something answers at the default address, and
    /// <see cref="LocalServerStatus.Foreign"/> when the directory holds no key of it.
    /// </summary>
    public async Task<LocalServerInfo> GetAsync(string? dataDirectory = null, CancellationToken cancellationToken = default)
    {
        var defaultDir = Path.GetFullPath(SandboxConnectionSettings.LocalDataDirectory(_environment));
        var dir = Path.GetFullPath(string.IsNullOrWhiteSpace(dataDirectory) ? defaultDir : dataDirectory);
        var state = ReadState(dir);
        if (state is not null)
        {
            var alive = state.Pid is { } pid && IsServerProcess(pid);
            var healthy = alive && await IsHealthyAsync(state.Endpoint, cancellationToken).ConfigureAwait(false);
            // It ended by itself (--idle-shutdown, a crash, a kill): its record goes as on Stop-SandboxServer.
            if (!alive) Forget(dir);
            // The file of a server that no longer answers may be stale: its data plane is reported while it runs only.
            return new LocalServerInfo
            {
                Endpoint = state.Endpoint,
                Status = healthy ? LocalServerStatus.Running : alive ? LocalServerStatus.NotResponding : LocalServerStatus.Stopped,
                DataPlane = healthy ? LocalDataPlane.Read(dir) : null,
                ProcessId = alive ? state.Pid : null,
                DataDirectory = dir,
                LogFile = state.LogFile,
                ServerPath = state.ServerPath,
                StartedAt = state.StartedAt,
                StartedByModule = true,
                IdleShutdown = state.IdleShutdown,
            };
        }
        var endpoint = DefaultEndpoint;
        var answering = dir == defaultDir && await IsHealthyAsync(endpoint, cancellationToken).ConfigureAwait(false);
        // Without a record, a server that answers is this directory's only when the directory holds its key (started by hand on it).
        if (!answering) return new LocalServerInfo { Endpoint = endpoint, Status = LocalServerStatus.Stopped, DataDirectory = dir };
        return File.Exists(Path.Combine(dir, "api-key")) ? StartedByHand(endpoint, dir) : new LocalServerInfo { Endpoint = endpoint, Status = LocalServerStatus.Foreign, DataDirectory = dir };
    }

    /// <summary>The server that answers at the default address on the default data directory without the module's record (started by hand), with its data plane.</summary>
    private static LocalServerInfo StartedByHand(string endpoint, string dataDir) =>
        new() { Endpoint = endpoint, Status = LocalServerStatus.Running, DataDirectory = dataDir, DataPlane = LocalDataPlane.Read(dataDir) };

    /// <summary>
    /// True when the local server of <paramref name="dataDirectory"/> that a connection to <paramref name="endpoint"/> uses has
    /// ended: its recorded process is gone (no request needed) or now serves another address; without a record (a server
    /// started by hand), when nothing answers at <paramref name="endpoint"/>. A server that runs but answers slowly has not.
    /// </summary>
    public async Task<bool> HasEndedAsync(string dataDirectory, string endpoint, CancellationToken cancellationToken = default)
    {
        var dir = Path.GetFullPath(dataDirectory);
        if (ReadState(dir) is { } state)
        {
            var alive = state.Pid is { } pid && IsServerProcess(pid);
            if (!alive) Forget(dir);
            return !alive || SandboxConnectionSettings.NormalizeEndpoint(state.Endpoint).Endpoint != SandboxConnectionSettings.NormalizeEndpoint(endpoint).Endpoint;
        }
        return !await IsHealthyAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every server in <see cref="KnownDataDirectories"/>, or in the given directories.</summary>
    public async Task<IReadOnlyList<LocalServerInfo>> ListAsync(IEnumerable<string>? dataDirectories = null, CancellationToken cancellationToken = default)
    {
        var result = new List<LocalServerInfo>();
        foreach (var dir in dataDirectories ?? KnownDataDirectories)
            result.Add(await GetAsync(dir, cancellationToken).ConfigureAwait(false));
        return result;
    }

    /// <summary>
    /// Stops the server the module started for <paramref name="dataDirectory"/>: SIGTERM, then a kill after <paramref name="timeout"/>.
    /// </summary>
    /// <returns>The server as it is afterwards (stopped).</returns>
    /// <exception cref="LocalServerException">No server the module started runs there (<c>SandboxServerNotRunning</c>), or it would not end.</exception>
    public async Task<LocalServerInfo> StopAsync(string? dataDirectory, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var before = await GetAsync(dataDirectory, cancellationToken).ConfigureAwait(false);
        if (before.ProcessId is not { } pid)
        {
            var why = before.IsRunning
                ? $"the server at {before.Endpoint} was not started by this module (no {StateFileName} in {before.DataDirectory}); stop it where it was started"
                : $"no local server runs with data directory {before.DataDirectory}";
            throw new LocalServerException(why, LocalServerException.NotRunning, SandboxErrorCategory.ObjectNotFound, before.DataDirectory);
        }
        if (!await ServerLauncher.StopByIdAsync(pid, timeout, entireProcessTree: true, cancellationToken).ConfigureAwait(false))
            throw new LocalServerException($"the server (pid {pid}) did not end", LocalServerException.StopFailed, SandboxErrorCategory.InvalidOperation, before.DataDirectory);
        Forget(before.DataDirectory);
        return new LocalServerInfo
        {
            Endpoint = before.Endpoint,
            Status = LocalServerStatus.Stopped,
            DataDirectory = before.DataDirectory,
            LogFile = before.LogFile,
            ServerPath = before.ServerPath,
            StartedAt = before.StartedAt,
            StartedByModule = true,
        };
    }

    // ---------------------------------------------------------------- launching

    private async Task<LocalServerInfo> LaunchAsync(LocalServerOptions options, string dataDir, IProgress<string>? progress, CancellationToken ct)
    {
        // Nothing is launched unless the machine can run the server: a server that starts and then fails every sandbox, or
        // exits after seconds, is worse than an error that names what is missing.
        if (LocalServerPrerequisites.CheckPlatform(OperatingSystem.IsLinux(), System.Runtime.InteropServices.RuntimeInformation.OSArchitecture, dataDir) is { } platform)
            throw platform;
        var server = options.ServerPath ?? LocalServerLocator.FindServer(null, _environment);
        if (server is null || !File.Exists(server))
            throw new LocalServerException(
                $"the local server was not found{(server is null ? "" : " at " + server)}: install the module with its server/ folder, or set SANDBOX_SERVER_PATH to Sandbox.Server.dll",
                LocalServerException.NotFound, SandboxErrorCategory.ObjectNotFound, server ?? dataDir);
        if (LocalServerPrerequisites.CheckThisMachine(dataDir) is { } missing) throw missing;
        var useDotnet = LocalServerLocator.NeedsDotnetHost(server);
        // Also for a DLL: sandbox-init next to it needs its execute bit as much as the apphost does.
        LocalServerPrerequisites.EnsureExecutable(Path.GetDirectoryName(server)!);
        var dotnet = useDotnet ? options.DotnetPath ?? LocalServerLocator.FindDotnet(_environment) : server;
        Directory.CreateDirectory(dataDir);
        var log = Path.Combine(dataDir, LogFileName);

        var args = useDotnet ? new List<string> { server } : new List<string>();
        args.AddRange(["--listen", $"{options.ListenAddress}:{options.Port}", "--data-dir", dataDir]);
        if (options.DataPlanePort is { } dataPlanePort)
            args.AddRange(["--data-plane-listen", $"{options.ListenAddress}:{dataPlanePort.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]);
        if (options.TtlGranularity is { } g) args.AddRange(["--ttl-granularity", g.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (options.IdleShutdown is { } idle) args.AddRange(["--idle-shutdown", ((long)idle.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + "s"]);
        progress?.Report($"starting {server} on {options.ListenAddress}:{options.Port} (data directory {dataDir})");

        ServerLauncher launcher;
        try
        {
            // Detached: its own session and its output appended to the log, so that it outlives this shell.
            // The packaged server is one compressed file whose native SQLite library is unpacked at first start: into the
            // data directory, not the user's ~/.net.
            launcher = ServerLauncher.Start(new ServerStartInfo
            {
                FileName = dotnet,
                Arguments = args,
                LogFile = log,
                Environment = { ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(dataDir, "runtime") },
            });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            throw new LocalServerException($"could not run '{dotnet}': {e.Message}", LocalServerException.StartFailed, SandboxErrorCategory.InvalidOperation, dataDir, e);
        }

        var started = DateTimeOffset.UtcNow;
        var deadline = DateTime.UtcNow + options.StartTimeout;
        var ok = false;
        ServerReady? ready = null;
        try
        {
            try
            {
                ready = await launcher.WaitForReadyAsync(options.StartTimeout, ct).ConfigureAwait(false);
            }
            catch (ServerStartException e) when (e.ExitCode is { } code)
            {
                throw new LocalServerException($"the local server exited with code {code} while starting:{Environment.NewLine}{e.LogTail}",
                    LocalServerException.StartFailed, SandboxErrorCategory.InvalidOperation, dataDir, e);
            }
            catch (ServerStartException e)
            {
                throw new LocalServerException($"the local server did not answer {options.Endpoint}/healthz within {options.StartTimeout.TotalSeconds:0} s:{Environment.NewLine}{e.LogTail}",
                    LocalServerException.StartFailed, SandboxErrorCategory.OperationTimeout, dataDir, e);
            }
            progress?.Report($"listening on {ready.Endpoint}");
            // Ready means listening; health also means the API answers. Bounded by the deadline; each round sleeps 250 ms.
            while (DateTime.UtcNow < deadline)
            {
                if (await IsHealthyAsync(ready.Endpoint, ct).ConfigureAwait(false))
                {
                    ok = true;
                    break;
                }
                await Task.Delay(250, ct).ConfigureAwait(false);
            }
            if (!ok)
                throw new LocalServerException($"the local server did not answer {ready.Endpoint}/healthz within {options.StartTimeout.TotalSeconds:0} s:{Environment.NewLine}{launcher.LogTail()}",
                    LocalServerException.StartFailed, SandboxErrorCategory.OperationTimeout, dataDir);
        }
        finally
        {
            if (!ok) launcher.Kill();
            launcher.Dispose();
        }

        var state = new ServerState { Pid = ready.Pid, Endpoint = ready.Endpoint, StartedAt = started, LogFile = log, ServerPath = server, IdleShutdown = options.IdleShutdown };
        WriteState(dataDir, state);
        _known.TryAdd(dataDir, 0);
        AddToIndex(dataDir);
        return new LocalServerInfo
        {
            Endpoint = state.Endpoint,
            Status = LocalServerStatus.Running,
            DataPlane = LocalDataPlane.Read(dataDir),
            ProcessId = state.Pid,
            DataDirectory = dataDir,
            LogFile = log,
            ServerPath = server,
            StartedAt = started,
            StartedByModule = true,
            IdleShutdown = options.IdleShutdown,
        };
    }

    // ---------------------------------------------------------------- state

    /// <summary>Removes a stopped server's record and index entry: it is no longer listed unless its data directory is asked for.</summary>
    private void Forget(string dataDir)
    {
        TryDelete(Path.Combine(dataDir, StateFileName));
        TryDelete(IndexEntry(dataDir));
        _known.TryRemove(dataDir, out _);
    }

    private sealed class ServerState
    {
        public int? Pid { get; set; }
        public string Endpoint { get; set; } = "";
        public DateTimeOffset? StartedAt { get; set; }
        public string? LogFile { get; set; }
        public string? ServerPath { get; set; }
        public TimeSpan? IdleShutdown { get; set; }
    }

    private ServerState? ReadState(string dataDir)
    {
        var path = Path.Combine(dataDir, StateFileName);
        try
        {
            if (!File.Exists(path)) return null;
            var state = JsonSerializer.Deserialize<ServerState>(File.ReadAllText(path), StateJson);
            if (state is null || string.IsNullOrEmpty(state.Endpoint)) return null;
            _known.TryAdd(dataDir, 0);
            return state;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private static void WriteState(string dataDir, ServerState state)
    {
        var path = Path.Combine(dataDir, StateFileName);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(state, StateJson));
        File.Move(temp, path, overwrite: true);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>True when <paramref name="pid"/> runs and (on Linux) is a Sandbox.Server process, so that a reused pid is not taken for it.</summary>
    private static bool IsServerProcess(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return false;
            var cmdline = $"/proc/{pid}/cmdline";
            if (OperatingSystem.IsLinux() && File.Exists(cmdline))
                return File.ReadAllText(cmdline).Contains("Sandbox.Server", StringComparison.Ordinal);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
