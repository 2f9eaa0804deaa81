using System.Text.Json;
using System.Text.RegularExpressions;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>
/// Reads snapshot bodies (<c>POST /boxes/{name}/snapshot</c>, <c>POST /snapshots</c>) and the <c>label</c> filters of
/// lists (422 naming the field, every value check typed <c>value_error</c>).
/// </summary>
public static partial class SnapshotInput
{
    public const int MaxLabels = 64;

    // A Docker tag: a word character first, then word characters, dots and hyphens, 128 at most.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    // A label key: letters, digits, '.', '_', '-', '/' (prefixed keys such as app.example.com/tier), 1-253.
    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$")]
    private static partial Regex LabelKeyPattern();

    /// <summary>
    /// The snapshot's name, tag and labels. <c>checkpoint</c> is accepted and ignored (the local server captures the
    /// filesystem of the sandbox as it is now); <c>docker_image</c> (an image inside the sandbox to export) and
    /// <c>include_memory</c> are refused: there is no Docker daemon and no memory checkpoint here.
    /// </summary>
    public static CaptureSnapshotRequest Capture(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var tag = Tag(body);
        var labels = Labels(body);
        if (body.Has("docker_image"))
            body.Fail("docker_image", "exporting a Docker image from inside the sandbox is not supported by the local server (it has no Docker daemon); omit it to capture the sandbox's filesystem", "value_error");
        if (body.Bool("include_memory") == true)
            body.Fail("include_memory", "memory snapshots are not supported by the local server (it captures the filesystem only); omit it or give false", "value_error");
        var runConfig = RunConfigInput.Read(body);
        RefuseUnsupported(body, "include", "carrying sandbox settings into a snapshot");
        RefuseDescribing(body);
        body.ThrowIfInvalidAsValueErrors();
        return new CaptureSnapshotRequest(name!, tag, labels, runConfig);
    }

    /// <summary>
    /// <c>docker_image</c>: a built-in name (<c>python</c>, <c>base</c>), a local image (absolute path), or a registry
    /// reference (which becomes a failed snapshot); a local path that holds no image is a 422 here.
    /// </summary>
    public static ImportSnapshotRequest Import(JsonInput body, ServerOptions options)
    {
        var name = body.Name("name", required: true);
        var image = body.String("docker_image", required: true);
        var capacity = body.Integer("fs_capacity_bytes", Limits.MinMemoryBytes, long.MaxValue);
        var tag = Tag(body);
        var labels = Labels(body);
        var registryId = body.String("registry_id");
        var runConfig = RunConfigInput.Read(body);
        RefuseDescribing(body);
        if (image is not null)
        {
            if (image.Length == 0 || image.Contains('\0')) body.Fail("docker_image", "must be a built-in name, an absolute path or an image reference, without NUL characters");
            else if (registryId is null && ImageImporter.LooksLocal(image))
            {
                if (!ImageImporter.LooksImportable(image, out var path)) body.Fail("docker_image", $"'{image}' holds no image: {ImageImporter.SupportedForms}");
                else if (ImageImporter.AllowedPath(path, options.ImageDirs) is null)
                    body.Fail("docker_image", $"'{image}' lies outside the directories this server imports images from ({string.Join(", ", options.ImageDirs)}; its --image-dir options)");
            }
        }
        body.ThrowIfInvalidAsValueErrors();
        return new ImportSnapshotRequest(name!, image!, capacity, tag, labels, registryId, runConfig);
    }

    /// <summary>The hosted API's <c>description</c> and <c>image_config</c> of a snapshot: nothing here keeps or uses them, so they are refused.</summary>
    private static void RefuseDescribing(JsonInput body)
    {
        if (body.Has("description")) body.Fail("description", "snapshot descriptions are not supported by the local server; omit description");
        RefuseUnsupported(body, "image_config", "a snapshot's command and ports (image_config)");
    }

    /// <summary><c>tag</c>: a Docker-style tag, <c>latest</c> when absent.</summary>
    private static string Tag(JsonInput body)
    {
        var tag = body.String("tag");
        if (tag is null) return SnapshotService.DefaultTag;
        if (!TagPattern().IsMatch(tag)) body.Fail("tag", "must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
        return tag;
    }

    /// <summary><c>labels</c>: an object of string values, keys of letters, digits, '.', '_', '-' and '/'.</summary>
    public static IReadOnlyDictionary<string, string> Labels(JsonInput body)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Raw("labels") is not { } raw) return labels;
        if (raw.ValueKind != JsonValueKind.Object)
        {
            body.Fail("labels", "must be an object of string values", "dict_type");
            return labels;
        }
        foreach (var p in raw.EnumerateObject())
        {
            if (!LabelKeyPattern().IsMatch(p.Name)) body.Fail("labels", $"key '{p.Name}' must be 1-253 letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit");
            else if (p.Value.ValueKind != JsonValueKind.String) body.Fail("labels", $"the value of '{p.Name}' must be a string", "string_type");
            else if (p.Value.GetString()!.Length > 1024 || p.Value.GetString()!.Contains('\0')) body.Fail("labels", $"the value of '{p.Name}' must be at most 1024 characters, without NUL");
            else labels[p.Name] = p.Value.GetString()!;
        }
        if (labels.Count > MaxLabels) body.Fail("labels", $"at most {MaxLabels} labels");
        return labels;
    }

    /// <summary>The <c>label</c> filters of a list (<c>key</c> or <c>key=value</c>, repeatable, all must match).</summary>
    public static IReadOnlyList<LabelMatch> LabelFilters(HttpRequest req, ListPaging page)
    {
        var matches = new List<LabelMatch>();
        foreach (var item in req.Query["label"])
        {
            var text = item ?? "";
            var eq = text.IndexOf('=');
            var key = eq < 0 ? text : text[..eq];
            if (!LabelKeyPattern().IsMatch(key)) page.Fail("label", $"'{text}' must be 'key' or 'key=value' with a key of letters, digits, '.', '_', '-' or '/'");
            else matches.Add(new LabelMatch(key, eq < 0 ? null : text[(eq + 1)..]));
        }
        return matches;
    }

    /// <summary>A field the local server has no counterpart for: given (not null, not empty) is a 422 saying so, never ignored.</summary>
    public static void RefuseUnsupported(JsonInput body, string field, string what)
    {
        if (body.Raw(field) is not { } v) return;
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0) return;
        if (v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any()) return;
        body.Fail(field, $"{what} is not supported by the local server; omit {field}", "value_error");
    }
}
