using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>Templates: validation, the seeded defaults, and how an image becomes a lower layer.</summary>
public sealed class TemplateCatalog(SandboxRepository sandboxRows, TemplateRepository templateRows, PoolRepository poolRows, VolumeRepository volumeRows, TimeProvider clock)
{
    public const string HostImage = "host";
    public const string RootfsPrefix = "rootfs:";
    public const string ImageHelp = "image must be 'host' (the host's root filesystem, read-only) or 'rootfs:/absolute/path' (a directory holding a root filesystem); container images are not supported by the local server";

    /// <summary>
    /// The built-in sandboxes, on the host image with 1 CPU, and their memory: seeded as templates on first start, and
    /// resolved by name as snapshots (<see cref="SandboxManager"/>'s sources).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> BuiltIns = new Dictionary<string, string> { ["base"] = "512Mi", ["python"] = "1Gi" };

    /// <summary>A built-in as a template record.</summary>
    public static TemplateRecord BuiltIn(string name, string id, DateTime at) =>
        new() { Id = id, Name = name, Image = HostImage, Cpu = "1", Memory = BuiltIns[name], CreatedAt = at, UpdatedAt = at };

    /// <summary>Seeds the built-ins (<c>base</c>, <c>python</c>) as templates on first start.</summary>
    public void SeedDefaults()
    {
        if (templateRows.CountTemplates() > 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var name in BuiltIns.Keys)
        {
            try
            {
                templateRows.InsertTemplate(BuiltIn(name, Guid.NewGuid().ToString(), now));
            }
            catch (NameTakenException)
            {
            }
        }
    }

    /// <summary>The directory an image stands for, or null when the image string is not one we run.</summary>
    public static string? LowerDir(string image)
    {
        if (image == HostImage) return "/";
        if (image.StartsWith(RootfsPrefix, StringComparison.Ordinal))
        {
            var path = image[RootfsPrefix.Length..];
            if (Path.IsPathFullyQualified(path)) return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) is { Length: > 0 } p ? p : "/";
        }
        return null;
    }

    public TemplateRecord Get(string name) =>
        templateRows.GetTemplate(name) ?? throw new NotFoundException("TemplateNotFound", $"template '{name}' not found");

    public List<TemplateRecord> List(int limit, int offset, string? nameContains) => templateRows.ListTemplates(limit, offset, nameContains);

    public TemplateRecord Create(CreateTemplateRequest request)
    {
        var (name, image, cpu, memory, storage, volumeMounts) = request;
        VolumeService.RequireVolumes(volumeRows, volumeMounts);
        var now = clock.GetUtcNow().UtcDateTime;
        var template = new TemplateRecord { Id = Guid.NewGuid().ToString(), Name = name, Image = image, Cpu = cpu, Memory = memory, Storage = storage, VolumeMounts = volumeMounts, CreatedAt = now, UpdatedAt = now };
        try
        {
            templateRows.InsertTemplate(template);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("TemplateAlreadyExists", $"template '{name}' already exists");
        }
        return template;
    }

    /// <summary>PATCH: a new name (null or the same name changes nothing); the sandboxes and pools of the template follow it.</summary>
    public TemplateRecord Rename(string name, string? newName)
    {
        Get(name);
        if (newName is null || newName == name) return Get(name);
        try
        {
            templateRows.RenameTemplate(name, newName, clock.GetUtcNow().UtcDateTime);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("TemplateAlreadyExists", $"template '{newName}' already exists");
        }
        return Get(newName);
    }

    public void Delete(string name)
    {
        Get(name);
        if (poolRows.TemplateUsedByPool(name)) throw new ConflictException("TemplateInUse", $"template '{name}' is used by a pool; delete the pool first");
        if (sandboxRows.TemplateInUse(name)) throw new ConflictException("TemplateInUse", $"template '{name}' is used by sandboxes; delete them first");
        templateRows.DeleteTemplate(name);
    }
}
