using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandbox volumes and their data.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class RemoveSandboxVolumeCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the volumes to delete.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("VolumeName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Volumes from Get-SandboxVolume.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxVolume[] InputObject { get; set; } = [];

    /// <summary><para type="description">Deletes without asking for confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Returns each deleted volume as it was before deletion.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInputObject)
        {
            foreach (var volume in InputObject) Remove(volume.Name, volume);
            return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                var names = VolumeNames.Expand(Client, pattern, Await, CancellationToken);
                if (names.Count == 0) WriteVerbose($"No volume matches '{pattern}'.");
                foreach (var name in names) Remove(name, null);
            });
    }

    private void Remove(string name, SandboxVolume? known)
    {
        if (!ShouldProcessItem(name, "Delete volume and its data", Force)) return;
        TryItem(name, () =>
        {
            Await(Client.DeleteVolumeAsync(name, null, CancellationToken));
            if (PassThru) WriteObject(known ?? new SandboxVolume { Name = name });
        });
    }
}
