using System.Collections;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox template: an image and the resources its sandboxes get.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxTemplate", HelpUri = HelpLinks.Base + "New-SandboxTemplate.md", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxTemplate))]
public sealed class NewSandboxTemplateCommand : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The template's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("TemplateName")]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The image: host (the host's root filesystem, read-only), rootfs:/absolute/dir on the local server, or an image reference on hosted servers.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [WireField("image")]
    public string Image { get; set; } = "";

    /// <summary><para type="description">CPU as a Kubernetes quantity, e.g. 500m, 1, 2 (default 1).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("resources.cpu")]
    public string Cpu { get; set; } = "1";

    /// <summary><para type="description">Memory as a Kubernetes quantity, e.g. 512Mi, 1Gi (default 512Mi).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("resources.memory")]
    public string Memory { get; set; } = "512Mi";

    /// <summary><para type="description">Storage as a Kubernetes quantity, e.g. 2Gi (optional).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("resources.storage")]
    public string? Storage { get; set; }

    /// <summary><para type="description">Volumes to mount into the template's sandboxes, one hashtable per mount: @{ Volume = 'data'; Path = '/data' } (keys Volume or VolumeName, Path or MountPath). The short form @{ data = '/data'; logs = '/logs' } maps volume names to paths.</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("volume_mounts")]
    public Hashtable[]? VolumeMount { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Create template from image '{Image}'")) return;
        var request = new CreateTemplateRequest
        {
            Name = Name,
            Image = Image,
            // leap0 templates carry no resources: its defaults are not sent, and a -Cpu/-Memory given is refused as not supported.
            Resources = Client.Options.Provider == SandboxProvider.Leap0
                ? new TemplateResources { Cpu = Given(nameof(Cpu)) ? Cpu : null, Memory = Given(nameof(Memory)) ? Memory : null, Storage = Storage }
                : new TemplateResources { Cpu = Cpu, Memory = Memory, Storage = Storage },
            VolumeMounts = ToVolumeMounts(),
        };
        TryItem(Name, () => WriteObject(Await(Client.Templates.CreateAsync(request, null, CancellationToken))));
    }

    private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    private static readonly string[] VolumeKeys = ["Volume", "VolumeName"];
    private static readonly string[] PathKeys = ["Path", "MountPath"];

    /// <summary>The mounts of -VolumeMount; a table with neither or only one of the keys is a terminating InvalidArgument error.</summary>
    private List<VolumeMount>? ToVolumeMounts()
    {
        if (VolumeMount is null || VolumeMount.Length == 0) return null;
        var mounts = new List<VolumeMount>();
        foreach (var table in VolumeMount)
        {
            if (table is null) continue;
            var entries = table.Cast<DictionaryEntry>().Select(e => (Key: LanguagePrimitives.ConvertTo<string>(e.Key), Value: e.Value is null ? "" : LanguagePrimitives.ConvertTo<string>(e.Value))).ToList();
            string? Find(string[] keys) => entries.Where(e => keys.Contains(e.Key, StringComparer.OrdinalIgnoreCase)).Select(e => e.Value).FirstOrDefault();
            var volume = Find(VolumeKeys);
            var path = Find(PathKeys);
            if (volume is not null || path is not null)
            {
                if (string.IsNullOrWhiteSpace(volume) || string.IsNullOrWhiteSpace(path) || entries.Count != 2)
                    FailArgument("-VolumeMount takes @{ Volume = 'name'; Path = '/mount/path' } (exactly these two keys) or @{ name = '/mount/path' }", "SandboxInvalidVolumeMount", table);
                mounts.Add(new VolumeMount { VolumeName = volume!, MountPath = path! });
                continue;
            }
            foreach (var (key, value) in entries)
            {
                if (string.IsNullOrWhiteSpace(key)) FailArgument("-VolumeMount has an empty volume name", "SandboxInvalidVolumeMount", table);
                mounts.Add(new VolumeMount { VolumeName = key, MountPath = value });
            }
        }
        return mounts;
    }
}
