using System.Collections;
using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox template: an image and the resources its sandboxes get.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxTemplate", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxTemplate))]
public sealed class NewSandboxTemplateCommand : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The template's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("TemplateName")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The image: host (the host's root filesystem, read-only), rootfs:/absolute/dir on the local server, or an image reference on hosted servers.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Image { get; set; } = "";

    /// <summary><para type="description">CPU as a Kubernetes quantity, e.g. 500m, 1, 2 (default 1).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Cpu { get; set; } = "1";

    /// <summary><para type="description">Memory as a Kubernetes quantity, e.g. 512Mi, 1Gi (default 512Mi).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Memory { get; set; } = "512Mi";

    /// <summary><para type="description">Storage as a Kubernetes quantity, e.g. 2Gi (optional).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Storage { get; set; }

    /// <summary><para type="description">Volumes to mount, as a hashtable of volume name to mount path, e.g. @{ data = '/data' }.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? VolumeMount { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Create template from image '{Image}'")) return;
        var request = new CreateTemplateRequest
        {
            Name = Name,
            Image = Image,
            Resources = new TemplateResources { Cpu = Cpu, Memory = Memory, Storage = Storage },
            VolumeMounts = ToEnvironment(VolumeMount, nameof(VolumeMount))?.Select(kv => new VolumeMount { VolumeName = kv.Key, MountPath = kv.Value }).ToList(),
        };
        TryItem(Name, () => WriteObject(Await(Client.CreateTemplateAsync(request, null, CancellationToken))));
    }
}
