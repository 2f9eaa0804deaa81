using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>The state of a local server.</summary>
public enum LocalServerStatus
{
    /// <summary>No server answers.</summary>
    Stopped,

    /// <summary>It answers <c>/healthz</c>.</summary>
    Running,

    /// <summary>Its process runs but it does not answer <c>/healthz</c>.</summary>
    NotResponding,

    /// <summary>
    /// Something answers at the default local address, but the data directory holds no record or key of a server there: on a
    /// shared host it may be anyone's, so the module does not use it (or send it a key) unless connected to it explicitly.
    /// </summary>
    Foreign,
}

/// <summary>A local server as <c>Start-SandboxServer</c> and <c>Get-SandboxServer</c> report it.</summary>
public sealed class LocalServerInfo
{
    /// <summary>Its endpoint, e.g. <c>http://127.0.0.1:8765</c> (what <c>Connect-Sandbox -Endpoint</c> takes).</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>Whether it runs and answers.</summary>
    public LocalServerStatus Status { get; init; }

    /// <summary>Its process id, when known.</summary>
    public int? ProcessId { get; init; }

    /// <summary>Its data directory.</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>Its API key file (<c>{DataDirectory}/api-key</c>; the key itself is never shown).</summary>
    public string ApiKeyFile => Path.Combine(DataDirectory, "api-key");

    /// <summary>Its log file, when the module started it.</summary>
    public string? LogFile { get; init; }

    /// <summary>The server DLL it runs, when known.</summary>
    public string? ServerPath { get; init; }

    /// <summary>When it was started, when known.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>How long it may be idle before it stops by itself (<c>-IdleShutdown</c>), when the module started it with one.</summary>
    public TimeSpan? IdleShutdown { get; init; }

    /// <summary>Its data plane, read from <c>{DataDirectory}/data-plane.json</c> while it runs; null when it runs without one (or does not run).</summary>
    internal LocalDataPlane? DataPlane { get; init; }

    /// <summary>leap0's sandbox domain of its data plane, <c>sandbox.localhost:PORT</c> (<c>Start-SandboxServer -DataPlanePort</c>); null without a data plane.</summary>
    public string? DataPlaneDomain => DataPlane?.Domain;

    /// <summary>The CA certificate (PEM file) the data plane's TLS chains to, for <c>curl --cacert</c> or <c>SSL_CERT_FILE</c>; null without a data plane.</summary>
    public string? DataPlaneCertificateAuthority => DataPlane?.CertificateAuthority;

    /// <summary>True when this module started it (it has a state file in its data directory).</summary>
    public bool StartedByModule { get; init; }

    /// <summary>True when it runs and answers.</summary>
    public bool IsRunning => Status == LocalServerStatus.Running;

    /// <summary>The endpoint.</summary>
    public override string ToString() => Endpoint;
}

/// <summary>A failure to start, find or stop the local server.</summary>
public sealed class LocalServerException : SandboxApiException, IModuleError
{
    private readonly string _errorId;
    private readonly string _category;

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="errorId">The stable error id, e.g. <c>SandboxServerNotFound</c>.</param>
    /// <param name="categoryName">The PowerShell error category's name.</param>
    /// <param name="target">The data directory or endpoint concerned.</param>
    /// <param name="innerException">The underlying failure.</param>
    public LocalServerException(string message, string errorId, string categoryName, string? target, Exception? innerException = null)
        : base(message, null, errorId, innerException)
    {
        _errorId = errorId;
        _category = categoryName;
        TargetName = target;
    }

    /// <summary>The server is not where the module looked (<c>ObjectNotFound</c>).</summary>
    public const string NotFound = "SandboxServerNotFound";

    /// <summary>The server did not start or did not answer in time.</summary>
    public const string StartFailed = "SandboxServerStartFailed";

    /// <summary>No server the module started runs with that data directory.</summary>
    public const string NotRunning = "SandboxServerNotRunning";

    /// <summary>Something other than this user's local server answers at the default local address (nothing configured).</summary>
    public const string Foreign = "SandboxForeignLocalServer";

    /// <summary>The server could not be stopped.</summary>
    public const string StopFailed = "SandboxServerStopFailed";

    /// <inheritdoc />
    public string ErrorId => _errorId;

    /// <inheritdoc />
    public string CategoryName => _category;

    /// <inheritdoc />
    public override bool IsTransient => false;
}
