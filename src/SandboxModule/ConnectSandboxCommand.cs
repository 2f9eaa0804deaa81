using System.Net;
using System.Security;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Connects to a sandbox server and makes the connection the default, for the process or one runspace.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "Sandbox", HelpUri = HelpLinks.Base + "Connect-Sandbox.md", DefaultParameterSetName = EndpointSet)]
[OutputType(typeof(SandboxConnection))]
public sealed class ConnectSandboxCommand : SandboxCmdlet
{
    private const string EndpointSet = "Endpoint";
    private const string LocalSet = "Local";
    private const string ServerSet = "Server";

    /// <summary><para type="description">The server's URL, e.g. https://api.example.com or http://127.0.0.1:8765. Default: SANDBOX_ENDPOINT, LANGSMITH_ENDPOINT, then the local server.</para></summary>
    [Parameter(Position = 0, ParameterSetName = EndpointSet)]
    [ValidateNotNullOrEmpty]
    public string? Endpoint { get; set; }

    /// <summary><para type="description">The API key. Default: SANDBOX_API_KEY, LANGSMITH_API_KEY, then the local server's key file.</para></summary>
    [Parameter(ParameterSetName = EndpointSet)]
    [ValidateNotNull]
    public SecureString? ApiKey { get; set; }

    /// <summary><para type="description">Whose API the endpoint speaks: LangSmith (default; /v2/sandboxes) or Leap0 (/v1; endpoint from LEAP0_BASE_URL, else https://api.leap0.dev; key from LEAP0_API_KEY; sent as authorization: Bearer). With -Local or -Server: the local server's /v1 API, with its key file.</para></summary>
    [Parameter]
    public SandboxProvider Provider { get; set; } = SandboxProvider.LangSmith;

    /// <summary><para type="description">leap0's sandbox domain for invoke and WebSocket URLs (https://{id}-{port}.{domain}), e.g. sandbox.leap0.dev or sandbox.localhost:8443. Default: LEAP0_SANDBOX_DOMAIN, else the endpoint's host; with -Local or -Server, the local server's data plane (Start-SandboxServer -DataPlanePort). -Provider Leap0 only.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SandboxDomain { get; set; }

    /// <summary><para type="description">Seconds each request may take when it has no time-out of its own (leap0's http_timeout; default 100).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int? RequestTimeoutSec { get; set; }

    /// <summary><para type="description">Connects to the local server: the one last started with Start-SandboxServer in this session, else the default one, started when needed.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    public SwitchParameter Local { get; set; }

    /// <summary><para type="description">A local server from Start-SandboxServer or Get-SandboxServer.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ServerSet)]
    [ValidateNotNull]
    public LocalServerInfo? Server { get; set; }

    /// <summary>
    /// <para type="description">Where the connection becomes the default: Process (the default) for every runspace of the process,
    /// ForEach-Object -Parallel and thread jobs included; Runspace for this runspace only, leaving the others as they are.</para>
    /// </summary>
    [Parameter]
    public SandboxConnectionScope Scope { get; set; } = SandboxConnectionScope.Process;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (SandboxDomain is not null && Provider != SandboxProvider.Leap0)
            FailArgument("-SandboxDomain applies to -Provider Leap0 only (LangSmith sandboxes are reached through service URLs)", "SandboxDomainNeedsLeap0", SandboxDomain);
        SandboxConnection connection;
        try
        {
            connection = ParameterSetName switch
            {
                LocalSet => ToLocalServer(EnsureLocalServer(null)),
                ServerSet => ToLocalServer(Server!),
                _ => FromChain(),
            };
        }
        catch (Exception e) when (IsItemFailure(e))
        {
            WriteError(ErrorFor(e, Endpoint ?? Server?.Endpoint));
            return;
        }

        // One cheap call proves the endpoint and the key before the connection becomes the default.
        var ok = TryItem(connection.Endpoint, () => Await(connection.Client.VerifyAsync(CancellationToken)));
        if (!ok)
        {
            connection.Dispose();
            return;
        }
        ModuleState.Current.SetDefault(connection, runspaceOnly: Scope == SandboxConnectionScope.Runspace);
        WriteObject(connection);
    }

    /// <summary>The client options the parameters give (the SDK's defaults for the rest).</summary>
    private SandboxClientOptions Options(string? sandboxDomain) => new()
    {
        Provider = Provider,
        SandboxDomain = sandboxDomain,
        DefaultTimeout = RequestTimeoutSec is { } s ? TimeSpan.FromSeconds(s) : SandboxDefaults.CallTimeout,
    };

    /// <summary>
    /// A connection to a local server in the dialect of -Provider. leap0's sandbox domain is -SandboxDomain, else the
    /// server's data plane (not LEAP0_SANDBOX_DOMAIN, which names leap0's cloud); none leaves invoke URLs refused.
    /// </summary>
    private SandboxConnection ToLocalServer(LocalServerInfo server)
    {
        if (Provider != SandboxProvider.Leap0) return ConnectionToLocalServer(server, Options(null));
        WriteDataPlaneProblem(server);
        // The file as it is now: a server object kept from before a restart names the data plane's old port.
        var dataPlane = server.IsRunning ? LocalDataPlane.Read(server.DataDirectory)?.Domain : server.DataPlaneDomain;
        return ConnectionToLocalServer(server, Options(string.IsNullOrWhiteSpace(SandboxDomain) ? dataPlane : SandboxDomain.Trim().TrimEnd('/')));
    }

    private SandboxConnection FromChain()
    {
        var key = ApiKey is null ? null : new NetworkCredential("", ApiKey).Password;
        if (Provider == SandboxProvider.Leap0)
            return new SandboxConnection(SandboxConnectionSettings.ResolveLeap0(Endpoint, key), isLocalServer: false, null, Options(SandboxConnectionSettings.ResolveLeap0SandboxDomain(SandboxDomain)));
        var settings = SandboxConnectionSettings.Resolve(Endpoint, key);
        if (settings.IsLocalServer) return ToLocalServer(EnsureLocalServer(null));
        return new SandboxConnection(settings, isLocalServer: false, null, Options(null));
    }
}

/// <summary>Where <c>Connect-Sandbox</c> makes its connection the default.</summary>
public enum SandboxConnectionScope
{
    /// <summary>Every runspace of the process (child runspaces and thread jobs too), unless one has its own.</summary>
    Process,

    /// <summary>Only the runspace that connected.</summary>
    Runspace,
}
