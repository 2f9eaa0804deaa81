namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Grows a sandbox volume.</para>
/// </summary>
[Cmdlet(VerbsCommon.Resize, "SandboxVolume", HelpUri = HelpLinks.Base + "Resize-SandboxVolume.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class ResizeSandboxVolumeCommand : ResourceCmdlet<SandboxVolume>
{
    /// <summary><para type="description">The new size, larger than the current one: a quantity such as 2Gi, or a number of bytes.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNull]
    [WireField("size")]
    public object Size { get; set; } = "";


    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var size = VolumeSize.SizeText(Size);
        if (size is null) FailArgument($"-Size '{Size}' is not a size: use a quantity such as 2Gi, or a number of bytes", "SandboxInvalidSize", Size);
        Change($"Grow volume to {size}", name => Client.Volumes.ResizeAsync(name, size!, null, CancellationToken));
    }
}
