namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the local sandbox servers: their endpoint, status, process and data directory.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxServer", HelpUri = HelpLinks.Base + "Get-SandboxServer.md")]
[OutputType(typeof(LocalServerInfo))]
public sealed class GetSandboxServerCommand : SandboxCmdlet
{
    /// <summary><para type="description">Data directories to look at. Default: the default data directory and every server the module started for this user, in any shell (the server index: SANDBOX_STATE_DIR, else ~/.local/state/sandbox).</para></summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? DataDirectory { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var dirs = DataDirectory?.Select(d => GetUnresolvedProviderPathFromPSPath(d)).ToList();
        TryItem(dirs is null ? null : string.Join(", ", dirs), () =>
        {
            foreach (var server in Await(LocalServerManager.Shared.ListAsync(dirs, CancellationToken)))
            {
                WriteDataPlaneProblem(server);
                WriteObject(server);
            }
        });
    }
}
