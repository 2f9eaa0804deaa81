using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Waits until sandboxes are ready, showing progress.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "Sandbox", DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class WaitSandboxCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";
    private const int ActivityId = 0x5AB1;

    /// <summary><para type="description">Names or wildcard patterns of the sandboxes to wait for.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Sandboxes from New-Sandbox -NoWait or Get-Sandbox.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox[] InputObject { get; set; } = [];

    /// <summary><para type="description">Seconds to wait for each sandbox (default 300).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 300;

    /// <summary><para type="description">Returns each sandbox once it is ready.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ByInputObject ? InputObject.Select(s => s.Name) : Name;
        foreach (var pattern in names)
            TryItem(pattern, () =>
            {
                foreach (var name in ParameterSetName == ByInputObject ? [pattern] : ExpandSandboxNames(pattern))
                    TryItem(name, () => WaitFor(name));
            });
    }

    private void WaitFor(string name)
    {
        var activity = $"Waiting for sandbox '{name}'";
        var started = DateTime.UtcNow;
        try
        {
            var ready = Pump<Sandbox.Client.Sandbox, SandboxStatusInfo>(
                (progress, ct) => Client.WaitForSandboxAsync(name, TimeSpan.FromSeconds(TimeoutSec), progress, ct),
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
