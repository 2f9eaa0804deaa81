using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandboxes: their processes, filesystem and name.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Sandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class RemoveSandboxCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the sandboxes to delete.</para></summary>
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

    /// <summary><para type="description">Deletes without asking for confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Returns each deleted sandbox as it was before deletion.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInputObject)
        {
            foreach (var sandbox in InputObject) Remove(sandbox.Name, sandbox);
            return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                foreach (var name in ExpandSandboxNames(pattern)) Remove(name, null);
            });
    }

    private void Remove(string name, Sandbox.Client.Sandbox? known)
    {
        if (!ShouldProcessItem(name, "Delete sandbox", Force)) return;
        TryItem(name, () =>
        {
            Await(Client.DeleteSandboxAsync(name, null, CancellationToken));
            if (PassThru) WriteObject(known ?? new Sandbox.Client.Sandbox { Name = name, Status = Sandbox.Client.SandboxStatus.Deleting });
        });
    }
}
