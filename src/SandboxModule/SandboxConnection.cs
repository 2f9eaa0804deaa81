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

    /// <summary>True when this is the default connection of the current runspace (its own, or the process's).</summary>
    public bool IsDefault => ReferenceEquals(ModuleState.Current.Default, this);

    /// <summary>True once a cmdlet said which local server this implicit connection uses (said once a process).</summary>
    internal bool Announced { get; set; }

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
/// Which connection the cmdlets use, in one place. The default connection and the configuration chain's connection are
/// process-wide, so that <c>ForEach-Object -Parallel</c>, thread jobs and any other runspace of the process land on the
/// server the user connected to; a runspace can still override the default (<c>Connect-Sandbox -Scope Runspace</c>). The
/// chain's connection is reused only while the chain still resolves to the same endpoint and key, so a changed
/// <c>SANDBOX_ENDPOINT</c> or <c>SANDBOX_API_KEY</c> takes effect at the next cmdlet.
/// </summary>
internal sealed class ModuleState
{
    private static readonly ConditionalWeakTable<Runspace, ModuleState> States = new();
    private static readonly ModuleState NoRunspace = new();
    private static readonly object ProcessGate = new();
    private static SandboxConnection? _processDefault;
    private static ChainConnection? _chain;

    /// <summary>The state of the calling runspace.</summary>
    public static ModuleState Current => Runspace.DefaultRunspace is { } runspace ? States.GetValue(runspace, _ => new ModuleState()) : NoRunspace;

    /// <summary>Guards every field here, the process-wide ones included.</summary>
    public object Gate => ProcessGate;

    /// <summary>This runspace's own default (<c>Connect-Sandbox</c> in this runspace), which wins over the process-wide one.</summary>
    private SandboxConnection? _runspaceDefault;

    /// <summary>The last server <c>Start-SandboxServer</c> started in this runspace.</summary>
    public LocalServerInfo? LastServer { get; set; }

    /// <summary>The default connection here: this runspace's own, else the process-wide one; null when neither is open.</summary>
    public SandboxConnection? Default
    {
        get
        {
            lock (ProcessGate)
                return _runspaceDefault is { IsOpen: true } own ? own : _processDefault is { IsOpen: true } shared ? shared : null;
        }
    }

    /// <summary>Makes <paramref name="connection"/> this runspace's default and, unless <paramref name="runspaceOnly"/>, the process's.</summary>
    public void SetDefault(SandboxConnection connection, bool runspaceOnly)
    {
        lock (ProcessGate)
        {
            _runspaceDefault = connection;
            if (!runspaceOnly) _processDefault = connection;
        }
    }

    /// <summary>The chain's connection made earlier, when the chain still resolves to <paramref name="now"/>'s endpoint and key.</summary>
    public static SandboxConnection? ChainConnectionFor(SandboxConnectionSettings now)
    {
        lock (ProcessGate)
            return _chain is { Connection.IsOpen: true } made && made.Resolved.SameTarget(now) ? made.Connection : null;
    }

    /// <summary>Keeps the chain's connection for the next cmdlets; a connection made meanwhile by another runspace wins.</summary>
    public static SandboxConnection RememberChainConnection(SandboxConnectionSettings resolved, SandboxConnection made)
    {
        lock (ProcessGate)
        {
            if (_chain is { Connection.IsOpen: true } raced && raced.Resolved.SameTarget(resolved)) return raced.Connection;
            _chain = new ChainConnection(resolved, made);
            return made;
        }
    }

    /// <summary>The connection the next cmdlet here would use without starting anything: the default, else the chain's for <paramref name="resolved"/>.</summary>
    public SandboxConnection? CurrentConnection(SandboxConnectionSettings resolved) => Default ?? ChainConnectionFor(resolved);

    /// <summary>Stops using <paramref name="connection"/> anywhere (Disconnect-Sandbox).</summary>
    public void Forget(SandboxConnection connection)
    {
        lock (ProcessGate)
        {
            if (ReferenceEquals(_runspaceDefault, connection)) _runspaceDefault = null;
            if (ReferenceEquals(_processDefault, connection)) _processDefault = null;
            if (ReferenceEquals(_chain?.Connection, connection)) _chain = null;
        }
    }

    /// <summary>Stops using the chain's connection when it goes to the local server of <paramref name="dataDirectory"/> (stopped or replaced).</summary>
    public static void ForgetLocalChain(string? dataDirectory)
    {
        lock (ProcessGate)
            if (_chain is { Connection.IsLocalServer: true } c && (dataDirectory is null || c.Connection.DataDirectory == dataDirectory)) _chain = null;
    }

    private sealed record ChainConnection(SandboxConnectionSettings Resolved, SandboxConnection Connection);
}
