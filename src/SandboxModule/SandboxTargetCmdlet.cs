using System.Reflection;

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

/// <summary>
/// Start-, Stop-, Suspend- and Resume-Sandbox: one lifecycle call per sandbox after confirmation (the action is the
/// cmdlet's verb: "Suspend sandbox"), <c>-PassThru</c> returns the sandbox as the call left it.
/// </summary>
public abstract class SandboxLifecycleCmdlet : SandboxActionCmdlet
{
    /// <summary>The lifecycle call; returns the sandbox afterwards.</summary>
    private protected abstract Task<Sandbox.Client.Sandbox> ChangeAsync(string name);

    /// <inheritdoc />
    protected sealed override void ProcessSandbox(string name)
    {
        var verb = GetType().GetCustomAttribute<CmdletAttribute>()!.VerbName;
        if (!ShouldProcess(name, $"{verb} sandbox")) return;
        var changed = Await(ChangeAsync(name));
        if (PassThru) WriteObject(changed);
    }
}
