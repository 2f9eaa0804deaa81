using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a warm pool.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxPool", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RenameSandboxPoolCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The pool's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("PoolName")]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A pool from Get-SandboxPool.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxPool? InputObject { get; set; }

    /// <summary><para type="description">The new name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = "";

    /// <summary><para type="description">Returns the renamed pool.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var name = InputObject?.Name ?? Name;
        if (!ShouldProcess(name, $"Rename pool to '{NewName}'")) return;
        TryItem(name, () =>
        {
            var renamed = Await(Client.RenamePoolAsync(name, NewName, null, CancellationToken));
            if (PassThru) WriteObject(renamed);
        });
    }
}
