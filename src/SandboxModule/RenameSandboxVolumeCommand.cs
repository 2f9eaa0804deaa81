using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox volume.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxVolume", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class RenameSandboxVolumeCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The volume's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("VolumeName")]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A volume from Get-SandboxVolume.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxVolume? InputObject { get; set; }

    /// <summary><para type="description">The new name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = "";

    /// <summary><para type="description">Returns the renamed volume.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var name = InputObject?.Name ?? Name;
        if (!ShouldProcess(name, $"Rename volume to '{NewName}'")) return;
        TryItem(name, () =>
        {
            var renamed = Await(Client.RenameVolumeAsync(name, NewName, null, CancellationToken));
            if (PassThru) WriteObject(renamed);
        });
    }
}
