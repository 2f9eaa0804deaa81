namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets a service URL that reaches a port inside a sandbox over HTTP or WebSocket, or a download link for one of its files.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxUrl", HelpUri = HelpLinks.Base + "Get-SandboxUrl.md", DefaultParameterSetName = PortSet)]
[OutputType(typeof(SandboxServiceUrl), ParameterSetName = [PortSet])]
[OutputType(typeof(SandboxDownloadLink), ParameterSetName = [FileSet])]
[OutputType(typeof(Uri), ParameterSetName = [InvokeSet])]
public sealed class GetSandboxUrlCommand : SandboxConnectedCmdlet
{
    private const string PortSet = "Port";
    private const string FileSet = "File";
    private const string InvokeSet = "Invoke";

    /// <summary><para type="description">The sandbox: a sandbox from Get-Sandbox or New-Sandbox, or its name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox Sandbox { get; set; } = null!;

    /// <summary><para type="description">The TCP port inside the sandbox that a server listens on (on 127.0.0.1 or all addresses).</para></summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = PortSet)]
    [Parameter(Position = 1, ParameterSetName = InvokeSet)]
    [ValidateRange(1, 65535)]
    [WireField("port")]
    public int Port { get; set; }

    /// <summary><para type="description">A file in the sandbox (relative paths are relative to /home/user): gives a download link that serves it without the API key (GET, HEAD, Range) until it expires, instead of a service URL. With -InvokeUrl: the request path the URL ends in (leap0's invoke_url path, default /).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = FileSet)]
    [Parameter(ParameterSetName = InvokeSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary><para type="description">Gives the ws:// (or wss://) form of ServiceUrl and BrowserUrl, for WebSocket clients.</para></summary>
    [Parameter(ParameterSetName = PortSet)]
    [Parameter(ParameterSetName = InvokeSet)]
    public SwitchParameter WebSocket { get; set; }

    /// <summary><para type="description">Gives the sandbox's URL without a token, as leap0's invoke_url (https://{id}-{port}.{domain}, or https://{id}.{domain} without -Port; wss:// with -WebSocket, as websocket_url); requests to it carry the API key. The domain is Connect-Sandbox -SandboxDomain. leap0 connections only.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = InvokeSet)]
    public SwitchParameter InvokeUrl { get; set; }

    /// <summary><para type="description">Seconds until the URL's token expires, 1 to 86400 (default: the server's: one hour for a service URL; a download link from the local server lasts as long as its sandbox).</para></summary>
    [Parameter(ParameterSetName = PortSet)]
    [Parameter(ParameterSetName = FileSet)]
    [ValidateRange(1, 86400)]
    [WireField("expires_in_seconds")]
    public int? ExpiresIn { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sandboxName = Sandbox.Name;
        TryItem(sandboxName, () =>
        {
            if (ParameterSetName == InvokeSet)
            {
                if (NoDataPlane() is { } refused)
                {
                    WriteError(refused);
                    return;
                }
                WriteObject(Client.Sandboxes.GetInvokeUrl(sandboxName, MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : null, WebSocket,
                    MyInvocation.BoundParameters.ContainsKey(nameof(Path)) ? Path : "/"));
                return;
            }
            var expiresIn = ExpiresIn is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
            if (ParameterSetName == FileSet)
            {
                WriteObject(Await(Client.Sandboxes.GetDownloadLinkAsync(sandboxName, Path, expiresIn, null, CancellationToken)));
                return;
            }
            var url = Await(Client.Sandboxes.GetServiceUrlAsync(sandboxName, Port, expiresIn, null, CancellationToken));
            if (WebSocket)
            {
                url.ServiceUrl = SandboxServiceUrl.ToWebSocketUrl(url.ServiceUrl);
                url.BrowserUrl = SandboxServiceUrl.ToWebSocketUrl(url.BrowserUrl);
            }
            WriteObject(url);
        });
    }

    /// <summary>
    /// A leap0 connection to a local server has no sandbox domain when the server runs without a data plane: the URL the
    /// endpoint's host would give (http://{id}-{port}.127.0.0.1:PORT) reaches nothing, so it is refused with what to do.
    /// </summary>
    private ErrorRecord? NoDataPlane()
    {
        var connection = ResolveConnection();
        if (connection is not { Provider: SandboxProvider.Leap0, IsLocalServer: true, SandboxDomain: null }) return null;
        return new ErrorRecord(
            new InvalidOperationException(
                $"the local server at {connection.Endpoint} runs without a data plane, so no invoke URL reaches its sandboxes: stop it (Stop-SandboxServer), start it with " +
                "Start-SandboxServer -DataPlanePort <port> (0 picks a free one) and connect with Connect-Sandbox -Server $server -Provider Leap0; or give Connect-Sandbox -SandboxDomain"),
            "SandboxDataPlaneOff", ErrorCategory.InvalidOperation, connection.Endpoint);
    }
}
