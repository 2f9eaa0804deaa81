using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// A cmdlet that acts on existing sandboxes given by name (wildcards allowed) or as objects from the
/// pipeline: the ByName and ByInputObject parameter sets shared by the sandbox action cmdlets and Get-SandboxMetric.
/// </summary>
public abstract class SandboxTargetCmdlet : SandboxConnectedCmdlet
{
    /// <summary>The default parameter set: names or wildcard patterns.</summary>
    protected const string ByName = "ByName";
    /// <summary>Sandbox objects from the pipeline.</summary>
    protected const string ByInputObject = "ByInputObject";

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

    /// <summary>Acts on one sandbox; failures are reported per item and the pipeline goes on.</summary>
    protected abstract void ProcessSandbox(string name);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ByInputObject ? InputObject.Select(s => s.Name) : Name;
        foreach (var pattern in names)
            TryItem(pattern, () =>
            {
                foreach (var name in ParameterSetName == ByInputObject ? [pattern] : ExpandSandboxNames(pattern))
                    TryItem(name, () => ProcessSandbox(name));
            });
    }
}

/// <summary>A sandbox cmdlet that changes something and can return the sandbox afterwards (<c>-PassThru</c>).</summary>
public abstract class SandboxActionCmdlet : SandboxTargetCmdlet
{
    /// <summary><para type="description">Returns each sandbox after the action.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }
}
