namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the resource use of sandboxes: CPU seconds, memory, processes and disk bytes.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxMetric", DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxMetrics))]
public sealed class GetSandboxMetricCommand : SandboxTargetCmdlet
{
    /// <inheritdoc />
    protected override void ProcessSandbox(string name) =>
        WriteObject(Await(Client.GetSandboxMetricsAsync(name, null, CancellationToken)));
}
