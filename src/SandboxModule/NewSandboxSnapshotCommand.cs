using System.Collections;
using System.Text.RegularExpressions;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a snapshot: a sandbox's filesystem captured, or an image imported (a built-in name or a local OCI image).</para>
/// <para type="description">-RunAs, -WorkingDirectory and -Environment set how the commands of sandboxes started from the snapshot run (their own settings and each command's go over them).</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxSnapshot", HelpUri = HelpLinks.Base + "New-SandboxSnapshot.md", SupportsShouldProcess = true, DefaultParameterSetName = FromSandbox)]
[OutputType(typeof(SandboxSnapshot))]
public sealed class NewSandboxSnapshotCommand : SandboxRunSettingsCmdlet
{
    private const string FromSandbox = "FromSandbox";
    private const string FromImage = "FromImage";
    private const int ProgressId = 4101;

    /// <summary>The built-in images every local server has.</summary>
    private static readonly string[] BuiltInImages = ["python", "base"];

    /// <summary><para type="description">The sandbox to capture: a sandbox from Get-Sandbox or New-Sandbox, or its name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FromSandbox)]
    [Alias("SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox Sandbox { get; set; } = null!;

    /// <summary><para type="description">The image to import instead of capturing a sandbox: a built-in name (python, base), the path of a local OCI image layout or image archive (docker save, OCI tar; relative paths are resolved here), or a registry reference (the local server pulls nothing: the snapshot fails and says so).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = FromImage)]
    [ValidateNotNullOrEmpty]
    [WireField("docker_image")]
    public string Image { get; set; } = "";

    /// <summary><para type="description">The registry (see Get-SandboxRegistry) whose credentials pull -Image.</para></summary>
    [Parameter(ParameterSetName = FromImage)]
    [ArgumentCompleter(typeof(RegistryNameCompleter))]
    [ValidateNotNullOrEmpty]
    [WireField("registry_id")]
    public string? Registry { get; set; }

    /// <summary><para type="description">The snapshot's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The tag that name:tag points at the new snapshot (default latest; moved off the snapshot it named before): 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("tag")]
    public string? Tag { get; set; }

    /// <summary><para type="description">Labels of the snapshot, as a hashtable of strings (@{ team = 'data' }); Get-SandboxSnapshot -Label finds it by them.</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("labels")]
    public Hashtable? Label { get; set; }

    /// <summary><para type="description">Seconds to wait for the snapshot to be ready (default 600).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int? TimeoutSec { get; set; }

    /// <summary><para type="description">Returns at once, while the snapshot is still building.</para></summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        if (Tag is not null && !Regex.IsMatch(Tag, "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"))
            FailArgument($"-Tag '{Tag}' is not a tag: use 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", "SandboxInvalidTag", Tag);
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var labels = ToLabels(Label, nameof(Label));
        var runConfig = ToRunConfig(EnvironmentVariables);
        var reference = Name + ":" + (Tag ?? "latest");
        string target;
        Func<Task<SandboxSnapshot>> start;
        if (ParameterSetName == FromImage)
        {
            var image = ResolveImage();
            target = image;
            if (!ShouldProcess(image, $"Import the image into snapshot '{reference}'")) return;
            start = async () => await Client.Snapshots.StartImportAsync(new CreateImageSnapshotRequest
            {
                Name = Name,
                DockerImage = image,
                Tag = Tag,
                Labels = labels,
                RunConfig = runConfig,
                RegistryId = Registry is null ? null : (await Client.Registries.GetAsync(Registry, null, CancellationToken).ConfigureAwait(false)).Id,
            }, null, CancellationToken).ConfigureAwait(false);
        }
        else
        {
            var sandboxName = Sandbox.Name;
            target = sandboxName;
            if (!ShouldProcess(sandboxName, $"Capture the filesystem into snapshot '{reference}'")) return;
            start = () => Client.Snapshots.StartAsync(sandboxName, new CaptureSnapshotRequest { Name = Name, Tag = Tag, Labels = labels, RunConfig = runConfig }, null, CancellationToken);
        }
        TryItem(target, () =>
        {
            var started = Await(start());
            // leap0 answers a stored snapshot: nothing to wait for.
            if (NoWait || started.IsReady)
            {
                WriteObject(started);
                return;
            }
            var activity = $"Snapshot '{reference}' of {target}";
            try
            {
                var ready = Pump<SandboxSnapshot, SandboxSnapshot>(
                    (progress, ct) => Client.Snapshots.WaitForReadyAsync(started.Id, new() { Timeout = TimeoutSec is { } t ? TimeSpan.FromSeconds(t) : null, Progress = progress }, ct),
                    s => WriteProgress(new ProgressRecord(ProgressId, activity, $"Status: {s.Status}")));
                WriteObject(ready);
            }
            finally
            {
                CompleteProgress(ProgressId, activity);
            }
        });
    }

    /// <summary>
    /// -Image as the server takes it: a built-in name as is, an existing local path made absolute, anything else that
    /// does not look like a path as a registry reference; a path that does not exist is a terminating error.
    /// </summary>
    private string ResolveImage()
    {
        if (BuiltInImages.Contains(Image, StringComparer.Ordinal)) return Image;
        var looksLikePath = Image.StartsWith('.') || Image.StartsWith('/') || Image.StartsWith('~') || Image.Contains('\\');
        string? full = null;
        try
        {
            full = GetUnresolvedProviderPathFromPSPath(Image);
        }
        catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or ArgumentException)
        {
            // "python:3.12" reads as a drive that does not exist: a registry reference, not a path.
        }
        if (full is not null && (File.Exists(full) || Directory.Exists(full))) return full;
        if (looksLikePath)
            FailArgument($"-Image '{Image}' does not exist: give a built-in name ({string.Join(", ", BuiltInImages)}), the path of a local OCI image layout or image archive (docker save), or a registry reference",
                "SandboxImageNotFound", Image);
        return Image;
    }
}
