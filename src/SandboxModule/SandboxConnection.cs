using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace SandboxModule;

/// <summary>
/// A connection to a sandbox server: an endpoint, an API key (never shown) and the HTTP client the cmdlets share.
/// <c>Connect-Sandbox</c> returns one and makes it the runspace's default; every data cmdlet also takes one through <c>-Connection</c>.
/// </summary>
public sealed class SandboxConnection : IDisposable
{
    private readonly object _gate = new();
    private SandboxClient? _client;
    private bool _disposed;

    internal SandboxConnection(SandboxConnectionSettings settings, bool isLocalServer, string? dataDirectory = null, SandboxClientOptions? options = null)
    {
        Settings = settings;
        Options = options ?? new SandboxClientOptions();
        IsLocalServer = isLocalServer || settings.IsLocalServer;
        DataDirectory = dataDirectory;
        ConnectedAt = DateTimeOffset.UtcNow;
    }

    internal SandboxConnectionSettings Settings { get; }

    /// <summary>The client's options: provider, sandbox domain, request time-out.</summary>
    internal SandboxClientOptions Options { get; }

    /// <summary>Whose API the endpoint speaks (LangSmith, Leap0).</summary>
    public SandboxProvider Provider => Options.Provider;

    /// <summary>leap0's sandbox domain for invoke URLs; null: the endpoint's host.</summary>
    public string? SandboxDomain => Options.SandboxDomain;

    /// <summary>The time-out of each request that has no other.</summary>
    public TimeSpan RequestTimeout => Options.DefaultTimeout;

    /// <summary>The server's endpoint, e.g. <c>http://127.0.0.1:8765</c>.</summary>
    public string Endpoint => Settings.Endpoint;

    /// <summary>Where the endpoint came from (explicit, environment variable, local server).</summary>
    public SandboxSettingSource EndpointSource => Settings.EndpointSource;

    /// <summary>Where the API key came from; <c>None</c> when there is none.</summary>
    public SandboxSettingSource ApiKeySource => Settings.ApiKeySource;

    /// <summary>True when a key is sent (the key itself is never shown).</summary>
    public bool HasApiKey => Settings.ApiKey is not null;

    /// <summary>True for the bundled local server.</summary>
    public bool IsLocalServer { get; }

    /// <summary>The local server's data directory, when known.</summary>
    public string? DataDirectory { get; }

    /// <summary>When the connection was made (UTC).</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>True when this is the current runspace's default connection.</summary>
    public bool IsDefault => ReferenceEquals(ModuleState.Current.Default, this);

    /// <summary>False once <c>Disconnect-Sandbox</c> closed it.</summary>
    public bool IsOpen => !_disposed;

    internal SandboxClient Client
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _client ??= new SandboxClient(Settings, Options);
            }
        }
    }

    /// <summary>Closes the HTTP connections; cmdlets then refuse this connection.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _client?.Dispose();
            _client = null;
        }
    }

    /// <summary>The endpoint.</summary>
    public override string ToString() => Endpoint;
}

/// <summary>
/// The module's state for one runspace: the default connection, the connection the configuration chain made, the last
/// server started. Keyed on the runspace, so that <c>ForEach-Object -Parallel</c> and thread jobs do not share it.
/// </summary>
internal sealed class ModuleState
{
    private static readonly ConditionalWeakTable<Runspace, ModuleState> States = new();
    private static readonly ModuleState NoRunspace = new();

    public static ModuleState Current => Runspace.DefaultRunspace is { } runspace ? States.GetValue(runspace, _ => new ModuleState()) : NoRunspace;

    public object Gate { get; } = new();

    public SandboxConnection? Default { get; set; }

    public SandboxConnection? Implicit { get; set; }

    public LocalServerInfo? LastServer { get; set; }
}
