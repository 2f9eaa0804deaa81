using System.Security.Cryptography;
using Sandbox.Server.Runtime;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's templates over the same <see cref="TemplateCatalog"/>: <c>POST /v1/template</c> <c>{name, uri,
/// credentials?}</c>, <c>PATCH</c>/<c>DELETE /v1/template/{id}</c>, and <c>GET /v1/templates</c> (not in leap0's spec:
/// its items have the create answer's shape). <c>uri</c> is a built-in (<c>system/debian:bookworm</c>,
/// <c>system/python</c>, or the bare local names) or a local image (an OCI layout or <c>docker save</c> archive), which
/// is unpacked under the data dir before the answer; nothing is pulled from a registry.
/// </summary>
public static class Leap0TemplateEndpoints
{
    private const string ImportsDir = "leap0-templates", RootfsDir = "fs", DigestFile = "digest";

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/template", Create);
        v1.MapGet("/templates", List);
        v1.MapGet("/template", List);
        v1.MapPatch("/template/{id}", async (string id, HttpRequest req, TemplateCatalog catalog) =>
        {
            var template = UserTemplate(catalog, id, "renamed");
            var body = await JsonInput.ReadAsync(req);
            var name = NewName(body);
            body.ThrowIfInvalid();
            catalog.Rename(template.Name, name);
            return Results.NoContent();
        });
        v1.MapDelete("/template/{id}", (string id, TemplateCatalog catalog, SnapshotRepository snapshotRows, ServerOptions options) =>
        {
            var template = UserTemplate(catalog, id, "deleted");
            catalog.Delete(template.Name);
            // An imported image's files go with it, unless a snapshot of one of its sandboxes still stands on them.
            if (ImportDir(template, options) is { } dir && !snapshotRows.DirectoryInUse(Path.Combine(dir, RootfsDir), "")) SnapshotRuntime.RemoveTree(dir);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> Create(HttpRequest req, TemplateCatalog catalog, ServerOptions options)
    {
        var body = await JsonInput.ReadAsync(req);
        var name = NewName(body, required: true);
        var uri = body.String("uri", required: true);
        if (uri is not null && (uri.Length is 0 or > 500 || uri.Contains('\0'))) body.Fail("uri", "must be 1-500 characters without NUL");
        if (body.Has("credentials"))
            body.Fail("credentials", "registry credentials are not supported by the local server: it pulls no images; give a built-in or a local OCI layout or archive path as uri");
        string? importPath = null;
        var builtIn = uri is null ? null : BuiltInOf(uri);
        if (uri is not null && builtIn is null)
        {
            if (!ImageImporter.LooksLocal(uri))
                body.Fail("uri", $"'{uri}' is a registry reference: pulling images is not supported by the local server; give a built-in ({string.Join(", ", TemplateCatalog.BuiltIns.Keys.Select(Leap0Json.TemplateId))}) or {ImageImporter.LocalForms}");
            else if (!ImageImporter.LooksImportable(uri, out var path)) body.Fail("uri", $"'{uri}' holds no image: give {ImageImporter.LocalForms}");
            else if (ImageImporter.AllowedPath(path, options.ImageDirs) is not { } allowed)
                body.Fail("uri", $"'{uri}' lies outside the directories this server imports images from ({string.Join(", ", options.ImageDirs)}; its --image-dir options)");
            else importPath = allowed;
        }
        body.ThrowIfInvalid();
        if (catalog.List(int.MaxValue, 0, null).Any(t => t.Name == name))
            throw new ConflictException("TemplateAlreadyExists", $"template '{name}' already exists");

        if (builtIn is not null)
        {
            var b = TemplateCatalog.BuiltIn(builtIn, "", DateTime.UnixEpoch);
            return Results.Json(Template(catalog.Create(new CreateTemplateRequest(name!, b.Image, b.Cpu, b.Memory, null, [])), options), statusCode: 201);
        }
        // Unpacked before the answer, as leap0 answers once the image is converted; a broken image is a 400 naming uri.
        var dir = Path.Combine(options.DataDir, ImportsDir, Guid.NewGuid().ToString("N"));
        var rootfs = Path.Combine(dir, RootfsDir);
        try
        {
            SnapshotRuntime.Reset(rootfs);
            await Task.Run(() => ImageImporter.Import(importPath!, rootfs, Path.Combine(dir, "archive"), req.HttpContext.RequestAborted));
            SnapshotRuntime.RemoveTree(Path.Combine(dir, "archive"));
            await File.WriteAllTextAsync(Path.Combine(dir, DigestFile), await DigestAsync(importPath!));
            return Results.Json(Template(catalog.Create(new CreateTemplateRequest(name!, TemplateCatalog.RootfsPrefix + rootfs, "1", "1Gi", null, [])), options), statusCode: 201);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            SnapshotRuntime.RemoveTree(dir);
            if (e is DomainException) throw;
            throw ValidationException.For(["body", "uri"], $"'{uri}' could not be imported: {e.Message}");
        }
    }

    /// <summary>The built-in a <c>uri</c> names (<c>system/debian:bookworm</c>, <c>system/python</c>, <c>base</c>, <c>python</c>), or null.</summary>
    private static string? BuiltInOf(string uri) => Leap0SandboxInput.LocalTemplate(uri) is var local && TemplateCatalog.BuiltIns.ContainsKey(local) ? local : null;

    /// <summary>leap0's name rule (no <c>system/</c> prefix, no spaces, at most 64) within the local one (1-63 lowercase letters, digits, hyphens).</summary>
    private static string? NewName(JsonInput body, bool required = true)
    {
        if (body.Raw("name") is { ValueKind: System.Text.Json.JsonValueKind.String } raw && raw.GetString()!.StartsWith(Leap0SandboxInput.SystemPrefix, StringComparison.Ordinal))
        {
            body.Fail("name", "names starting with 'system/' are reserved for system templates");
            return null;
        }
        return body.Name("name", required);
    }

    /// <summary>A template by its id (or name); a built-in is a system template, which leap0 lets nobody rename or delete (409).</summary>
    private static TemplateRecord UserTemplate(TemplateCatalog catalog, string id, string verb)
    {
        var template = catalog.List(int.MaxValue, 0, null).FirstOrDefault(t => t.Id == id || t.Name == id || Leap0Json.TemplateId(t.Name) == id)
            ?? throw new NotFoundException("TemplateNotFound", $"no template with id '{id}' (GET /v1/templates lists them)");
        if (TemplateCatalog.BuiltIns.ContainsKey(template.Name))
            throw new ConflictException("SystemTemplate", $"'{Leap0Json.TemplateId(template.Name)}' is a system template: it cannot be {verb}");
        return template;
    }

    private static IResult List(TemplateCatalog catalog, ServerOptions options) =>
        Results.Json(new { items = catalog.List(int.MaxValue, 0, null).Select(t => Template(t, options)).ToList() });

    /// <summary>
    /// leap0's template. <c>digest</c>: an imported image's (its manifest's, as a registry names it), else <c>""</c>;
    /// <c>image_config</c> is not read from the image (a command's user, directory and env come from the sandbox's run_config).
    /// </summary>
    public static object Template(TemplateRecord t, ServerOptions options) => new
    {
        id = t.Id,
        name = Leap0Json.TemplateId(t.Name),
        digest = ImportDir(t, options) is { } dir && File.Exists(Path.Combine(dir, DigestFile)) ? File.ReadAllText(Path.Combine(dir, DigestFile)) : "",
        image_config = new { entrypoint = (string[]?)null, cmd = (string[]?)null },
        is_system = TemplateCatalog.BuiltIns.ContainsKey(t.Name),
        created_at = t.CreatedAt,
    };

    /// <summary>The directory an image imported by <c>POST /v1/template</c> was unpacked into, or null for any other template.</summary>
    private static string? ImportDir(TemplateRecord t, ServerOptions options)
    {
        var root = Path.Combine(options.DataDir, ImportsDir) + "/";
        return TemplateCatalog.LowerDir(t.Image) is { } lower && lower.StartsWith(root, StringComparison.Ordinal) ? Path.GetDirectoryName(lower) : null;
    }

    /// <summary>The image's digest: of its OCI index's first manifest, else sha256 of the manifest file or archive.</summary>
    private static async Task<string> DigestAsync(string path)
    {
        if (Directory.Exists(path))
        {
            var index = Path.Combine(path, "index.json");
            if (File.Exists(index))
            {
                using var doc = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(index));
                if (doc.RootElement.TryGetProperty("manifests", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Array && m.GetArrayLength() > 0
                    && m[0].TryGetProperty("digest", out var d) && d.ValueKind == System.Text.Json.JsonValueKind.String)
                    return d.GetString()!;
            }
            path = Path.Combine(path, File.Exists(index) ? "index.json" : "manifest.json");
        }
        await using var file = File.OpenRead(path);
        return "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }
}
