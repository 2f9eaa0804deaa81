using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the resource use of sandboxes: CPU seconds, memory, processes and disk bytes.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxMetric", DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxMetrics))]
public sealed class GetSandboxMetricCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the sandboxes.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Sandboxes from Get-Sandbox or New-Sandbox.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox[] InputObject { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ByInputObject ? InputObject.Select(s => s.Name) : Name;
        foreach (var pattern in names)
            TryItem(pattern, () =>
            {
                foreach (var name in ParameterSetName == ByInputObject ? [pattern] : ExpandSandboxNames(pattern))
                    TryItem(name, () => WriteObject(Await(Client.GetSandboxMetricsAsync(name, null, CancellationToken))));
            });
    }
}
