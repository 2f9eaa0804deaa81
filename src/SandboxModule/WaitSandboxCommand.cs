namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Waits until sandboxes are ready, showing progress.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "Sandbox", HelpUri = HelpLinks.Base + "Wait-Sandbox.md", DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class WaitSandboxCommand : SandboxActionCmdlet
{
    private const int ActivityId = 0x5AB1;

    /// <summary><para type="description">Seconds to wait for each sandbox (default 300).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 300;

    /// <inheritdoc />
    protected override void ProcessSandbox(string name) => WaitFor(name);

    private void WaitFor(string name)
    {
        var activity = $"Waiting for sandbox '{name}'";
        var started = DateTime.UtcNow;
        try
        {
            var ready = Pump<Sandbox.Client.Sandbox, SandboxStatusInfo>(
                (progress, ct) => Client.Sandboxes.WaitForReadyAsync(name, new() { Timeout = TimeSpan.FromSeconds(TimeoutSec), Progress = progress }, ct),
                status =>
                {
                    var left = TimeoutSec - (int)(DateTime.UtcNow - started).TotalSeconds;
                    var text = string.IsNullOrEmpty(status.StatusMessage) ? $"Status: {status.Status}" : $"Status: {status.Status} ({status.StatusMessage})";
                    WriteProgress(new ProgressRecord(ActivityId, activity, text) { SecondsRemaining = Math.Max(0, left) });
                });
            if (PassThru) WriteObject(ready);
        }
        finally
        {
            CompleteProgress(ActivityId, activity);
        }
    }
}
