using System.Net;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Sandbox.Server;

/// <summary>Command-line settings of the local server.</summary>
public sealed class ServerOptions
{
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;
    public int ListenPort { get; init; } = 8765;
    public required string DataDir { get; init; }
    /// <summary>ttl_seconds and idle_ttl_seconds must be multiples of this (60 as in the hosted API).</summary>
    public int TtlGranularity { get; init; } = 60;
    /// <summary>Private IPv4 range whose /30s this server gives to sandboxes with a network (see NetworkPolicyService).</summary>
    public string NetworkRange { get; init; } = "10.213.0.0/16";
    /// <summary>How often allow_domains of custom network policies are resolved again.</summary>
    public int NetworkResolveSeconds { get; init; } = 300;
    /// <summary>The seccomp profile (Docker's format) sandboxes' filters start from; see Runtime/SeccompProfile.cs.</summary>
    public string SeccompProfile { get; init; } = Runtime.SeccompProfile.DefaultPath;
    /// <summary>
    /// Where <c>POST /snapshots</c> may read local images (canonical paths, <c>--image-dir</c>, repeatable); empty: any
    /// absolute path on the host (the default; see docs/local-server.md on image snapshots).
    /// </summary>
    public IReadOnlyList<string> ImageDirs { get; init; } = [];

    /// <summary>
    /// <c>--idle-shutdown</c>: the server stops by itself (as on SIGTERM) after being idle this long; null (the default) never.
    /// What counts as idle is in Services/IdleShutdown.cs.
    /// </summary>
    public TimeSpan? IdleShutdown { get; init; }

    /// <summary>Bytes of stdout and of stderr that POST /execute keeps and answers (each stream); the rest is drained and counted.</summary>
    public long ExecOutputLimit { get; init; } = DefaultExecOutputLimit;
    /// <summary>Bytes of command output the server holds in memory at once, over every POST /execute and WebSocket session.</summary>
    public long OutputBudget { get; init; } = DefaultOutputBudget;
    /// <summary>WebSocket sessions kept without a socket (waiting for a reconnect) at most; past it the longest-detached one ends.</summary>
    public int DetachedSessions { get; init; } = DefaultDetachedSessions;
    /// <summary>Output bytes that detached WebSocket sessions may hold together; past it the longest-detached one ends.</summary>
    public long DetachedOutputBudget { get; init; } = DefaultDetachedOutputBudget;
    /// <summary>
    /// leap0's data plane (Api/Leap0/Leap0DataPlane.cs): an HTTPS listener routing <c>Host: {id}[-{port}].{domain}</c>
    /// into sandboxes. Off by default (its URLs need <c>*.localhost</c> to resolve and the server's CA to be trusted,
    /// which a plain machine does not do; presigned URLs then keep the service-URL form). Port 0: a free port, chosen at start.
    /// </summary>
    public IPEndPoint? DataPlaneListen { get; init; }
    /// <summary>The data plane's host name (without port): sandboxes are its subdomains. <c>*.localhost</c> is loopback by RFC 6761.</summary>
    public string DataPlaneHost { get; init; } = DefaultDataPlaneHost;

    public const long DefaultExecOutputLimit = 4L << 20;
    public const long DefaultOutputBudget = 256L << 20;
    public const int DefaultDetachedSessions = 32;
    public const long DefaultDetachedOutputBudget = 128L << 20;
    public const string DefaultDataPlaneHost = "sandbox.localhost";

    public const string Usage = "usage: Sandbox.Server [--listen HOST:PORT] [--data-dir DIR] [--ttl-granularity SECONDS] [--network-range CIDR] [--network-resolve-interval SECONDS]"
        + " [--exec-output-limit BYTES] [--output-budget BYTES] [--detached-sessions N] [--detached-output-budget BYTES] [--seccomp-profile PATH] [--image-dir DIR]... [--data-plane-listen HOST:PORT|off] [--data-plane-host NAME] [--idle-shutdown DURATION]";

    public static ServerOptions Parse(string[] args)
    {
        string? listen = null, dataDir = null, dataPlaneListen = null;
        var dataPlaneHost = DefaultDataPlaneHost;
        var granularity = 60;
        var networkRange = "10.213.0.0/16";
        var resolveSeconds = 300;
        var seccomp = Runtime.SeccompProfile.DefaultPath;
        var execOutputLimit = DefaultExecOutputLimit;
        var outputBudget = DefaultOutputBudget;
        var detachedSessions = DefaultDetachedSessions;
        var detachedBudget = DefaultDetachedOutputBudget;
        var imageDirs = new List<string>();
        TimeSpan? idleShutdown = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. {Usage}");
            switch (args[i])
            {
                case "--listen": listen = Value(); break;
                case "--data-dir": dataDir = Value(); break;
                case "--data-plane-listen": dataPlaneListen = Value(); break;
                case "--data-plane-host":
                    dataPlaneHost = Value().Trim().TrimEnd('.').ToLowerInvariant();
                    if (Uri.CheckHostName(dataPlaneHost) != UriHostNameType.Dns || !dataPlaneHost.Contains('.'))
                        throw new ArgumentException($"--data-plane-host takes a DNS name of two labels or more, e.g. sandbox.localhost (got '{dataPlaneHost}')");
                    break;
                case "--ttl-granularity":
                    if (!int.TryParse(Value(), out granularity) || granularity < 1) throw new ArgumentException("--ttl-granularity must be a whole number of seconds >= 1");
                    break;
                case "--network-range":
                    networkRange = Value();
                    if (Runtime.SandboxNetwork.ParseCidr(networkRange) is not (_, <= 29)) throw new ArgumentException("--network-range takes an IPv4 CIDR of /29 or larger, e.g. 10.213.0.0/16");
                    break;
                case "--network-resolve-interval":
                    if (!int.TryParse(Value(), out resolveSeconds) || resolveSeconds < 1) throw new ArgumentException("--network-resolve-interval must be a whole number of seconds >= 1");
                    break;
                case "--seccomp-profile": seccomp = Path.GetFullPath(Value()); break;
                case "--image-dir":
                    var dir = Value();
                    imageDirs.Add(Directory.Exists(dir) && Runtime.Native.RealPath(dir) is { } real ? real : throw new ArgumentException($"--image-dir takes an existing directory (got '{dir}')"));
                    break;
                case "--exec-output-limit": execOutputLimit = Bytes("--exec-output-limit", Value(), 1024); break;
                case "--output-budget": outputBudget = Bytes("--output-budget", Value(), 1L << 20); break;
                case "--detached-output-budget": detachedBudget = Bytes("--detached-output-budget", Value(), 0); break;
                case "--idle-shutdown": idleShutdown = ParseIdleShutdown(Value()); break;
                case "--detached-sessions":
                    if (!int.TryParse(Value(), out detachedSessions) || detachedSessions < 0) throw new ArgumentException("--detached-sessions must be a whole number >= 0");
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'. {Usage}");
            }
        }
        var (address, port) = listen is null ? (IPAddress.Loopback, 8765) : EndPoint("--listen", listen, "127.0.0.1:8765");
        IPEndPoint? dataPlane = dataPlaneListen switch
        {
            null or "off" => null,
            _ => EndPoint("--data-plane-listen", dataPlaneListen, "127.0.0.1:8766, or off") is var (a, p) ? new IPEndPoint(a, p) : null,
        };
        return new ServerOptions
        {
            ListenAddress = address,
            ListenPort = port,
            DataDir = Path.GetFullPath(dataDir ?? DefaultDataDir()),
            TtlGranularity = granularity,
            NetworkRange = networkRange,
            NetworkResolveSeconds = resolveSeconds,
            SeccompProfile = seccomp,
            ExecOutputLimit = execOutputLimit,
            OutputBudget = outputBudget,
            DetachedSessions = detachedSessions,
            DetachedOutputBudget = detachedBudget,
            ImageDirs = imageDirs,
            DataPlaneListen = dataPlane,
            DataPlaneHost = dataPlaneHost,
            IdleShutdown = idleShutdown,
        };
    }

    private static (IPAddress Address, int Port) EndPoint(string option, string text, string example)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !IPAddress.TryParse(text[..colon].Trim('[', ']'), out var address) || !int.TryParse(text[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new ArgumentException($"{option} takes HOST:PORT with an IP address, e.g. {example} (got '{text}')");
        return (address, port);
    }

    /// <summary>A byte count: a whole number or a quantity such as 4Mi or 1Gi, at least <paramref name="min"/>.</summary>
    private static long Bytes(string option, string text, long min)
    {
        if (!Quantity.TryParse(text, out var value) || value < min || value > (1L << 40) || value != Math.Floor(value))
            throw new ArgumentException($"{option} takes a whole number of bytes from {min} to 1Ti, e.g. 4Mi or 4194304 (got '{text}')");
        return (long)value;
    }

    /// <summary>The longest <c>--idle-shutdown</c>: 30 days (a longer wait is "never": leave the option out).</summary>
    public static readonly TimeSpan MaxIdleShutdown = TimeSpan.FromDays(30);

    /// <summary>
    /// <c>--idle-shutdown</c>'s value: whole seconds, or a whole number with the unit s, m, h or d (90, 90s, 30m, 1h), from 1 s to 30 d.
    /// 0 and <c>off</c> mean never, as when the option is left out.
    /// </summary>
    public static TimeSpan? ParseIdleShutdown(string text)
    {
        var m = System.Text.RegularExpressions.Regex.Match(text.Trim().ToLowerInvariant(), @"^(\d{1,9})([smhd]?)$");
        if (m.Success && m.Groups[1].Value.TrimStart('0').Length == 0 && m.Groups[2].Value.Length == 0) return null; // 0: never
        if (text.Trim().ToLowerInvariant() is "off" or "never") return null;
        var seconds = !m.Success ? -1 : long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * m.Groups[2].Value switch { "m" => 60, "h" => 3600, "d" => 86400, _ => 1 };
        if (seconds < 1 || seconds > (long)MaxIdleShutdown.TotalSeconds)
            throw new ArgumentException($"--idle-shutdown takes a duration from 1 s to 30 d: whole seconds or a whole number with s, m, h or d, e.g. 30m, 90s or 1h (0 or off: never) (got '{text}')");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>A duration as <c>--idle-shutdown</c> takes it: 30m, 90s, 2h.</summary>
    public static string FormatDuration(TimeSpan d) =>
        d.TotalSeconds % 86400 == 0 ? $"{d.TotalDays:0}d" : d.TotalSeconds % 3600 == 0 ? $"{d.TotalHours:0}h" : d.TotalSeconds % 60 == 0 ? $"{d.TotalMinutes:0}m" : $"{d.TotalSeconds:0}s";

    /// <summary>SANDBOX_DATA_DIR (as the module reads it), else /var/lib/sandbox for root, else $XDG_DATA_HOME/sandbox or ~/.local/share/sandbox.</summary>
    public static string DefaultDataDir()
    {
        var configured = Environment.GetEnvironmentVariable("SANDBOX_DATA_DIR");
        if (!string.IsNullOrWhiteSpace(configured) && Path.IsPathRooted(configured.Trim())) return configured.Trim();
        if (Environment.UserName == "root") return "/var/lib/sandbox";
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var baseDir = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg;
        return Path.Combine(baseDir, "sandbox");
    }
}
