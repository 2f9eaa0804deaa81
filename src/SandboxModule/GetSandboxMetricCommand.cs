namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the resource use of sandboxes: CPU seconds, memory, processes and disk bytes.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxMetric", HelpUri = HelpLinks.Base + "Get-SandboxMetric.md", DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxMetrics))]
public sealed class GetSandboxMetricCommand : SandboxTargetCmdlet
{
    /// <inheritdoc />
    protected override void ProcessSandbox(string name) =>
        WriteObject(Await(Client.Sandboxes.GetMetricsAsync(name, null, CancellationToken)));
}
