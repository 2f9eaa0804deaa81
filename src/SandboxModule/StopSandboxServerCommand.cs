namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Stops a local sandbox server that the module started.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "SandboxServer", HelpUri = HelpLinks.Base + "Stop-SandboxServer.md", SupportsShouldProcess = true, DefaultParameterSetName = ByDataDirectory)]
[OutputType(typeof(LocalServerInfo))]
public sealed class StopSandboxServerCommand : SandboxCmdlet
{
    private const string ByDataDirectory = "ByDataDirectory";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The server's data directory. Default: the last server started in this session, else the default data directory.</para></summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByDataDirectory)]
    [ValidateNotNullOrEmpty]
    public string? DataDirectory { get; set; }

    /// <summary><para type="description">A server from Start-SandboxServer or Get-SandboxServer.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public LocalServerInfo? InputObject { get; set; }

    /// <summary><para type="description">Seconds to wait for a clean shutdown before the process is killed (default 30).</para></summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary><para type="description">Returns the stopped server.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var state = ModuleState.Current;
        var dir = InputObject?.DataDirectory
            ?? (DataDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(DataDirectory))
            ?? state.LastServer?.DataDirectory;
        var shown = dir ?? "(default data directory)";
        if (!ShouldProcess(shown, "Stop local sandbox server")) return;
        TryItem(shown, () =>
        {
            var stopped = Await(LocalServerManager.Shared.StopAsync(dir, TimeSpan.FromSeconds(TimeoutSec), CancellationToken));
            lock (state.Gate)
            {
                if (state.LastServer?.DataDirectory == stopped.DataDirectory) state.LastServer = null;
                // The connection the configuration chain made to this server is gone with it; the next cmdlet resolves again.
            }
            ModuleState.ForgetLocalChain(stopped.DataDirectory);
            if (PassThru) WriteObject(stopped);
        });
    }
}
