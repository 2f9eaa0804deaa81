namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets a service URL that reaches a port inside a sandbox over HTTP or WebSocket.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxUrl")]
[OutputType(typeof(SandboxServiceUrl))]
public sealed class GetSandboxUrlCommand : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The sandbox: a sandbox from Get-Sandbox or New-Sandbox, or its name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox Sandbox { get; set; } = null!;

    /// <summary><para type="description">The TCP port inside the sandbox that a server listens on (on 127.0.0.1 or all addresses).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary><para type="description">Gives the ws:// (or wss://) form of ServiceUrl and BrowserUrl, for WebSocket clients.</para></summary>
    [Parameter]
    public SwitchParameter WebSocket { get; set; }

    /// <summary><para type="description">Seconds until the URL's token expires, 1 to 86400 (default: the server's, one hour).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int? ExpiresIn { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sandboxName = Sandbox.Name;
        TryItem(sandboxName, () =>
        {
            var url = Await(Client.GetServiceUrlAsync(sandboxName, Port, ExpiresIn is { } s ? TimeSpan.FromSeconds(s) : null, null, CancellationToken));
            if (WebSocket)
            {
                url.ServiceUrl = SandboxServiceUrl.ToWebSocketUrl(url.ServiceUrl);
                url.BrowserUrl = SandboxServiceUrl.ToWebSocketUrl(url.BrowserUrl);
            }
            WriteObject(url);
        });
    }
}
