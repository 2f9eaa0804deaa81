namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Captures a sandbox's filesystem into a snapshot.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxSnapshot", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxSnapshot))]
public sealed class NewSandboxSnapshotCommand : SandboxConnectedCmdlet
{
    private const int ProgressId = 4101;

    /// <summary><para type="description">The sandbox to capture: a sandbox from Get-Sandbox or New-Sandbox, or its name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox Sandbox { get; set; } = null!;

    /// <summary><para type="description">The snapshot's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Seconds to wait for the snapshot to be ready (default 600).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int? TimeoutSec { get; set; }

    /// <summary><para type="description">Returns at once, while the snapshot is still provisioning.</para></summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sandboxName = Sandbox.Name;
        if (!ShouldProcess(sandboxName, $"Capture the filesystem into snapshot '{Name}'")) return;
        TryItem(sandboxName, () =>
        {
            var started = Await(Client.Snapshots.StartAsync(sandboxName, Name, null, CancellationToken));
            if (NoWait)
            {
                WriteObject(started);
                return;
            }
            var activity = $"Snapshot '{Name}' of sandbox '{sandboxName}'";
            try
            {
                var ready = Pump<SandboxSnapshot, SandboxSnapshot>(
                    (progress, ct) => Client.Snapshots.WaitForReadyAsync(started.Id, new() { Timeout = TimeoutSec is { } t ? TimeSpan.FromSeconds(t) : null, Progress = progress }, ct),
                    s => WriteProgress(new ProgressRecord(ProgressId, activity, $"Status: {s.Status}")));
                WriteObject(ready);
            }
            finally
            {
                CompleteProgress(ProgressId, activity);
            }
        });
    }
}
