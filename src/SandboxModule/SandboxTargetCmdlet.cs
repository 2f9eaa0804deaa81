using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// A cmdlet that acts on existing sandboxes given by name (wildcards allowed) or as objects from the
/// pipeline: the ByName and ByInputObject parameter sets shared by the sandbox action cmdlets and Get-SandboxMetric.
/// </summary>
public abstract class SandboxTargetCmdlet : ResourcesCmdlet<Sandbox.Client.Sandbox>
{
    /// <summary><para type="description">Names or wildcard patterns of the sandboxes.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[] Name { get; set; } = [];

    private protected override ResourceKind<Sandbox.Client.Sandbox> Kind => ResourceKinds.Sandbox;

    /// <summary>Acts on one sandbox; failures are reported per item and the pipeline goes on.</summary>
    protected abstract void ProcessSandbox(string name);

    private protected sealed override void ProcessItem(string name, Sandbox.Client.Sandbox? known) => ProcessSandbox(name);
}

/// <summary>A sandbox cmdlet that changes something and can return the sandbox afterwards (<c>-PassThru</c>).</summary>
public abstract class SandboxActionCmdlet : SandboxTargetCmdlet
{
    /// <summary><para type="description">Returns each sandbox after the action.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }
}
