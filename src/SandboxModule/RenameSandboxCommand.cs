using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class RenameSandboxCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The sandbox's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A sandbox from Get-Sandbox or New-Sandbox.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox? InputObject { get; set; }

    /// <summary><para type="description">The new name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = "";

    /// <summary><para type="description">Returns the renamed sandbox.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var name = InputObject?.Name ?? Name;
        if (!ShouldProcess(name, $"Rename sandbox to '{NewName}'")) return;
        TryItem(name, () =>
        {
            var renamed = Await(Client.RenameSandboxAsync(name, NewName, null, CancellationToken));
            if (PassThru) WriteObject(renamed);
        });
    }
}
