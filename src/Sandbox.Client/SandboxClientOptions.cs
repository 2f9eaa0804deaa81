namespace Sandbox.Client;

/// <summary>Defaults of the client (and of callers that wrap it), and small conversions of user input.</summary>
public static class SandboxDefaults
{
    /// <summary>
    /// The command of an interactive terminal that asks for the sandbox's shell: bash where the sandbox has it, else sh, as
    /// a login shell (it reads /etc/profile), run by a POSIX sh so that it works in sandboxes without bash. Protocols whose
    /// terminals are sessions (leap0) start their own shell for it.
    /// </summary>
    public const string LoginShellCommand = "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi";

    /// <summary>Seconds the server waits for a new sandbox to be ready (the API's default).</summary>
    public const double CreateTimeoutSeconds = 30;

    /// <summary>Seconds before a command is killed (the API's default).</summary>
    public const double CommandTimeoutSeconds = 60;

    /// <summary>The shell commands run in (the API's default).</summary>
    public const string Shell = "/bin/bash";

    /// <summary>The directory commands start in, and the base of a relative working directory (the API's default).</summary>
    public const string WorkingDirectory = "/home/user";

    /// <summary>A working directory as an absolute path: a relative one is under <see cref="WorkingDirectory"/> (as <c>cwd</c> is on the wire; <c>run_config.work_dir</c> must be absolute).</summary>
    public static string ToAbsoluteWorkingDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return path.StartsWith('/') ? path : WorkingDirectory + "/" + path;
    }

    /// <summary>Page size used when the client pages through a list.</summary>
    public const int PageSize = 100;

    /// <summary>The time-out of a call that has no other, including its retries.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(100);

    /// <summary>Extra time the client allows beyond a server-side wait (create, execute) before it gives up itself.</summary>
    public static readonly TimeSpan ServerWaitMargin = TimeSpan.FromSeconds(30);

    /// <summary>How long waiting for a sandbox lasts by default.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromMinutes(5);

    /// <summary>MiB to bytes (for <c>-MemoryMB</c>).</summary>
    public static long MebibytesToBytes(long mebibytes) => checked(mebibytes * 1024 * 1024);

    /// <summary>A time span as whole seconds, rounded up (for <c>-TimeToLive</c>, <c>-IdleTimeout</c>); null stays null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public static long? ToWholeSeconds(TimeSpan? value)
    {
        if (value is null) return null;
        if (value.Value < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(value), value, "must not be negative");
        return (long)Math.Ceiling(value.Value.TotalSeconds);
    }
}

/// <summary>When and how often a safe request is retried.</summary>
public sealed class SandboxRetryPolicy
{
    /// <summary>The policy of the wire API: at most 3 retries, backoff <c>min(2^n + jitter, 10)</c> s, <c>Retry-After</c> honoured.</summary>
    public static SandboxRetryPolicy Default { get; } = new();

    /// <summary>No retries at all.</summary>
    public static SandboxRetryPolicy None { get; } = new() { MaxRetries = 0 };

    /// <summary>At most this many retries after the first attempt (default 3).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The cap on the exponential backoff (default 10 s).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A 429 whose <c>Retry-After</c> is longer than this is not waited for: it fails with the delay in the exception.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Jitter in [0, 1) seconds; random by default. Tests pin it.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>
    /// The delay before retry number <paramref name="retry"/> (0 for the first retry): <c>min(2^retry + jitter, MaxBackoff)</c>.
    /// </summary>
    public TimeSpan Backoff(int retry)
    {
        var seconds = Math.Pow(2, Math.Min(retry, 30)) + Jitter();
        return TimeSpan.FromSeconds(Math.Min(seconds, MaxBackoff.TotalSeconds));
    }
}

/// <summary>Options of a <see cref="SandboxClient"/>.</summary>
public sealed class SandboxClientOptions
{
    /// <summary>The time-out of each call that has no other (including its retries); see <see cref="SandboxDefaults.CallTimeout"/>.</summary>
    public TimeSpan DefaultTimeout { get; init; } = SandboxDefaults.CallTimeout;

    /// <summary>The retry policy for safe requests.</summary>
    public SandboxRetryPolicy Retry { get; init; } = SandboxRetryPolicy.Default;

    /// <summary>How the client waits (retry backoff, polling, reconnects). Tests replace it so that they do not sleep.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = Task.Delay;

    /// <summary>An HTTP handler to use instead of the client's own <see cref="SocketsHttpHandler"/>; the client does not dispose it.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>The User-Agent header.</summary>
    public string UserAgent { get; init; } = "Sandbox.Client/" + typeof(SandboxClientOptions).Assembly.GetName().Version?.ToString(3);

    /// <summary>Whether streaming commands use the WebSocket (default true); false always uses <c>POST /execute</c>.</summary>
    public bool UseWebSocket { get; init; } = true;

    /// <summary>How many times one streaming command reconnects its WebSocket before it gives up (default 5).</summary>
    public int MaxReconnects { get; init; } = 5;

    /// <summary>How long connecting a TCP connection may take (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First interval between status polls when waiting for a sandbox (default 250 ms; it grows to <see cref="MaxPollInterval"/>).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest interval between status polls (default 2 s).</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Which generation of the sandbox API the endpoint speaks (default <see cref="SandboxApiGeneration.Auto"/>): on the
    /// current one, template, pool and volume calls fail with <see cref="SandboxNotSupportedException"/> instead of a 404.
    /// </summary>
    public SandboxApiGeneration Generation { get; init; } = SandboxApiGeneration.Auto;

    /// <summary>Whose API the endpoint speaks (default <see cref="SandboxProvider.LangSmith"/>; <see cref="Generation"/> applies to it only).</summary>
    public SandboxProvider Provider { get; init; } = SandboxProvider.LangSmith;

    /// <summary>
    /// leap0's sandbox domain (<c>LEAP0_SANDBOX_DOMAIN</c>, e.g. <c>sandbox.leap0.dev</c> or <c>sandbox.localhost:PORT</c>): invoke
    /// URLs are <c>https://{id}-{port}.{domain}</c>. Null: the endpoint's own host and port, with its scheme (the local server).
    /// </summary>
    public string? SandboxDomain { get; init; }
}

/// <summary>The sandbox APIs the SDK speaks.</summary>
public enum SandboxProvider
{
    /// <summary>LangSmith's sandbox API (<c>/v2/sandboxes</c>, both generations; see <see cref="SandboxApiGeneration"/>).</summary>
    LangSmith,

    /// <summary>leap0's sandbox API (<c>/v1</c>).</summary>
    Leap0,
}

/// <summary>The generations of LangSmith's sandbox API (the local server serves both at once).</summary>
public enum SandboxApiGeneration
{
    /// <summary>Found out from the endpoint: a template, pool or volume collection that answers 404 marks it current.</summary>
    Auto,

    /// <summary>The generation the project was designed from: templates, pools and volumes beside sandboxes and snapshots.</summary>
    Seed,

    /// <summary>Snapshot-first (LangSmith since 2026-04-22): no templates, pools or volumes.</summary>
    Current,
}
