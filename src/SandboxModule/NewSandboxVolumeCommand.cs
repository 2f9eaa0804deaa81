namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox volume: storage of a fixed size that outlives sandboxes.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxVolume", HelpUri = HelpLinks.Base + "New-SandboxVolume.md", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxVolume))]
public sealed class NewSandboxVolumeCommand : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The volume's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VolumeName")]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The size: a Kubernetes quantity such as 1Gi or 512Mi, or a number of bytes (1GB works).</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    [WireField("size")]
    public object Size { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var size = VolumeSize.SizeText(Size);
        if (size is null) FailArgument($"-Size '{Size}' is not a size: use a quantity such as 1Gi or 512Mi, or a number of bytes", "SandboxInvalidSize", Size);
        if (!ShouldProcess(Name, $"Create volume of {size}")) return;
        TryItem(Name, () => WriteObject(Await(Client.Volumes.CreateAsync(Name, size!, null, CancellationToken))));
    }
}
