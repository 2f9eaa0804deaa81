using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>
/// How to run the local server: <c>{ServerPath} --listen {ListenAddress}:{Port} --data-dir {DataDirectory}</c> for the
/// self-contained server, <c>dotnet {ServerPath} ...</c> for a <c>Sandbox.Server.dll</c>.
/// </summary>
public sealed class LocalServerOptions
{
    /// <summary>The default listen address.</summary>
    public const string DefaultListenAddress = "127.0.0.1";

    /// <summary>The default port.</summary>
    public const int DefaultPort = 8765;

    /// <summary>The IP address to listen on (loopback by default).</summary>
    public string ListenAddress { get; init; } = DefaultListenAddress;

    /// <summary>The port; 0 lets the server pick a free one (read back from its log).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>The data directory (state, API key file, log); <see cref="SandboxConnectionSettings.LocalDataDirectory"/> when null.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// <c>--data-plane-listen {ListenAddress}:{DataPlanePort}</c>: leap0's HTTPS data plane on this port (0: a free one the server
    /// picks, read back from <c>data-plane.json</c>); null: off.
    /// </summary>
    public int? DataPlanePort { get; init; }

    /// <summary><c>--ttl-granularity</c>, when set.</summary>
    public int? TtlGranularity { get; init; }

    /// <summary>
    /// <c>--idle-shutdown</c>: the server stops by itself after being idle this long (no request, command, terminal session or
    /// running sandbox; see docs/local-server.md); null: never.
    /// </summary>
    public TimeSpan? IdleShutdown { get; init; }

    /// <summary>The idle shutdown of the server the module starts by itself (the configuration chain's last step): 30 minutes.</summary>
    public static readonly TimeSpan DefaultIdleShutdown = TimeSpan.FromMinutes(30);

    /// <summary>The server (self-contained <c>Sandbox.Server</c> or <c>Sandbox.Server.dll</c>); found by <see cref="LocalServerLocator.FindServer"/> when null.</summary>
    public string? ServerPath { get; init; }

    /// <summary>The <c>dotnet</c> host for a <c>Sandbox.Server.dll</c>; found by <see cref="LocalServerLocator.FindDotnet"/> when null.</summary>
    public string? DotnetPath { get; init; }

    /// <summary>How long to wait for the server to answer <c>/healthz</c> (60 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The data directory in use: <see cref="DataDirectory"/> or the default.</summary>
    public string ResolvedDataDirectory(SandboxEnvironment? environment = null) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(DataDirectory) ? SandboxConnectionSettings.LocalDataDirectory(environment) : DataDirectory!);

    /// <summary>The endpoint the server will have (unknown until it starts when <see cref="Port"/> is 0).</summary>
    public string Endpoint => $"http://{(ListenAddress.Contains(':') ? "[" + ListenAddress + "]" : ListenAddress)}:{Port}";

    /// <summary>
    /// The options of the server the configuration chain falls back to: the default address and data directory, with the
    /// server that ships in the module's <c>server/</c> folder.
    /// </summary>
    /// <param name="moduleDirectory">The module's folder (where <c>SandboxModule.dll</c> is).</param>
    /// <param name="defaultEndpoint">The default server's address; <see cref="SandboxConnectionSettings.DefaultLocalEndpoint"/> when null.</param>
    public static LocalServerOptions ForDefaultServer(string? moduleDirectory, string? defaultEndpoint = null)
    {
        var (endpoint, _) = SandboxConnectionSettings.NormalizeEndpoint(defaultEndpoint ?? SandboxConnectionSettings.DefaultLocalEndpoint);
        var uri = new Uri(endpoint);
        return new LocalServerOptions
        {
            ListenAddress = uri.Host.Trim('[', ']'),
            Port = uri.Port,
            ServerPath = LocalServerLocator.FindServer(moduleDirectory),
            // Started without being asked for: it goes away by itself once nothing uses it (the next cmdlet starts it again).
            IdleShutdown = DefaultIdleShutdown,
        };
    }
}

/// <summary>Finds the server and the <c>dotnet</c> host.</summary>
public static class LocalServerLocator
{
    /// <summary>The framework-dependent server's file name (run with <c>dotnet</c>).</summary>
    public const string ServerFileName = "Sandbox.Server.dll";

    /// <summary>The self-contained server's executable name (run directly; no .NET install needed).</summary>
    public const string ServerExecutableName = "Sandbox.Server";

    /// <summary>
    /// The server: <c>SANDBOX_SERVER_PATH</c> when set (a <c>Sandbox.Server.dll</c> or a self-contained <c>Sandbox.Server</c>),
    /// else the self-contained server the module ships for this processor, <c>{moduleDirectory}/server/linux-x64/Sandbox.Server</c>
    /// or <c>.../linux-arm64/...</c>, else <c>{moduleDirectory}/server/Sandbox.Server.dll</c> (null when none exists).
    /// </summary>
    public static string? FindServer(string? moduleDirectory, SandboxEnvironment? environment = null)
    {
        var env = environment ?? SandboxEnvironment.Process;
        if (env.GetVariable("SANDBOX_SERVER_PATH") is { Length: > 0 } fromEnv && File.Exists(fromEnv)) return Path.GetFullPath(fromEnv);
        if (!string.IsNullOrEmpty(moduleDirectory))
        {
            if (OperatingSystem.IsLinux() && LocalServerPrerequisites.RuntimeFolder(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture) is { } rid)
            {
                var selfContained = Path.Combine(moduleDirectory, "server", rid, ServerExecutableName);
                if (File.Exists(selfContained)) return selfContained;
            }
            var bundled = Path.Combine(moduleDirectory, "server", ServerFileName);
            if (File.Exists(bundled)) return bundled;
        }
        return null;
    }

    /// <summary>True when <paramref name="serverPath"/> is a DLL that the <c>dotnet</c> host runs, false for a self-contained executable.</summary>
    public static bool NeedsDotnetHost(string serverPath) => serverPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The <c>dotnet</c> host: <c>DOTNET_HOST_PATH</c>, <c>$DOTNET_ROOT/dotnet</c>, the first <c>dotnet</c> on <c>PATH</c>,
    /// then the usual install folders; <c>dotnet</c> (left to the OS) when none exists.
    /// </summary>
    public static string FindDotnet(SandboxEnvironment? environment = null)
    {
        var env = environment ?? SandboxEnvironment.Process;
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var candidates = new List<string?> { env.GetVariable("DOTNET_HOST_PATH") };
        if (env.GetVariable("DOTNET_ROOT") is { Length: > 0 } root) candidates.Add(Path.Combine(root, exe));
        foreach (var dir in (env.GetVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(Path.Combine(dir, exe));
        candidates.AddRange(["/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet", "/usr/local/share/dotnet/dotnet", Path.Combine(env.HomeDirectory(), ".dotnet", exe)]);
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c)) ?? exe;
    }
}
