using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>What a new sandbox boots: a template, a snapshot, or a built-in snapshot.</summary>
/// <param name="Launch">The snapshot, when it is a stored one (held until the boot ends).</param>
/// <param name="Template">Where the resources' defaults come from.</param>
/// <param name="TemplateName">What the sandbox records as its template ("" when it has none).</param>
/// <param name="LowerDir">The sandbox's lower layer.</param>
/// <param name="FromTemplate">True for an older-generation template create (the only kind a warm pool can serve).</param>
internal sealed record SandboxSource(SnapshotLaunch? Launch, TemplateRecord Template, string TemplateName, string LowerDir, bool FromTemplate);

public sealed partial class SandboxManager
{
    /// <summary>The snapshot a create without any source boots (the hosted API's "server default snapshot").</summary>
    public const string DefaultSnapshot = "python";

    /// <summary>The hosted API's idle ttl when none is given (stop after 10 minutes without use).</summary>
    public const long DefaultIdleTtlSeconds = 600;

    /// <summary>
    /// The idle ttl of a create that gives none: 600 s for the current generation's own forms (no source, snapshot_name,
    /// snapshot), none for template_name and snapshot_id, so that older clients see no change.
    /// </summary>
    private static long? DefaultIdleTtl(CreateSandboxRequest request) =>
        request.TemplateName is null && request.SnapshotId is null ? DefaultIdleTtlSeconds : null;

    private SandboxSource ResolveSource(CreateSandboxRequest request)
    {
        if (request.TemplateName is { } templateName)
        {
            var template = templateRows.GetTemplate(templateName) ?? throw new RejectedException("TemplateNotFound", $"template '{templateName}' not found");
            var lower = TemplateCatalog.LowerDir(template.Image)
                ?? throw new RejectedException("InvalidTemplate", $"template '{template.Name}' has an image this server cannot run: {template.Image}");
            return new SandboxSource(null, template, template.Name, lower, FromTemplate: true);
        }
        if (request.SnapshotId is { } id) return FromSnapshot(id);
        if (request.SnapshotName is null && request.SnapshotReference is null) return Builtin(DefaultSnapshot);
        var reference = (request.SnapshotName ?? request.SnapshotReference)!;
        if (snapshots.Find(reference, asId: request.SnapshotReference is not null) is { } stored) return FromSnapshot(stored.Id);
        // The built-ins resolve virtually (no row, never listed); a stored snapshot of the same name wins.
        var (name, tag) = SnapshotService.SplitReference(reference);
        if (tag is null or SnapshotService.DefaultTag && TemplateCatalog.BuiltIns.ContainsKey(name)) return Builtin(name);
        throw new NotFoundException("SnapshotNotFound", $"snapshot '{reference}' not found (built-in snapshots: {string.Join(", ", TemplateCatalog.BuiltIns.Keys)})");
    }

    private SandboxSource FromSnapshot(string id)
    {
        var launch = snapshots.Launch(id);
        if (launch.Resources is { } builtIn) return new SandboxSource(launch, builtIn, "", launch.LowerDir, FromTemplate: false);
        var template = templateRows.GetTemplate(launch.TemplateName) ?? SnapshotService.DefaultTemplate(launch.TemplateName);
        return new SandboxSource(launch, template, template.Name, launch.LowerDir, FromTemplate: false);
    }

    private static SandboxSource Builtin(string name) =>
        new(null, TemplateCatalog.BuiltIn(name, "", DateTime.UnixEpoch), "", TemplateCatalog.LowerDir(TemplateCatalog.HostImage)!, FromTemplate: false);
}
