using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Grows a sandbox volume.</para>
/// </summary>
[Cmdlet(VerbsCommon.Resize, "SandboxVolume", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class ResizeSandboxVolumeCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The volume's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("VolumeName")]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A volume from Get-SandboxVolume.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxVolume? InputObject { get; set; }

    /// <summary><para type="description">The new size, larger than the current one: a quantity such as 2Gi, or a number of bytes.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public object Size { get; set; } = "";

    /// <summary><para type="description">Returns the resized volume.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var size = VolumeNames.SizeText(Size);
        if (size is null) FailArgument($"-Size '{Size}' is not a size: use a quantity such as 2Gi, or a number of bytes", "SandboxInvalidSize", Size);
        var name = InputObject?.Name ?? Name;
        if (!ShouldProcess(name, $"Grow volume to {size}")) return;
        TryItem(name, () =>
        {
            var resized = Await(Client.ResizeVolumeAsync(name, size!, null, CancellationToken));
            if (PassThru) WriteObject(resized);
        });
    }
}
