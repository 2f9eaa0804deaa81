using Sandbox.Server.Api;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>Templates: validation, the seeded defaults, and how an image becomes a lower layer.</summary>
public sealed class TemplateCatalog(StateStore store, TimeProvider clock)
{
    public const string HostImage = "host";
    public const string RootfsPrefix = "rootfs:";
    private const string ImageHelp = "image must be 'host' (the host's root filesystem, read-only) or 'rootfs:/absolute/path' (a directory holding a root filesystem); container images are not supported by the local server";

    /// <summary>Seeds <c>base</c> and <c>python</c> on first start (both on the host's filesystem).</summary>
    public void SeedDefaults()
    {
        if (store.CountTemplates() > 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (name, memory) in new[] { ("base", "512Mi"), ("python", "1Gi") })
        {
            try
            {
                store.InsertTemplate(new TemplateRecord { Id = Guid.NewGuid().ToString(), Name = name, Image = HostImage, Cpu = "1", Memory = memory, CreatedAt = now, UpdatedAt = now });
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
        store.GetTemplate(name) ?? throw new NotFoundException("TemplateNotFound", $"template '{name}' not found");

    public TemplateRecord Create(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var image = body.String("image", required: true);
        if (image is not null)
        {
            var lower = LowerDir(image);
            if (lower is null) body.Fail("image", ImageHelp);
            else if (!Directory.Exists(lower)) body.Fail("image", $"rootfs directory '{lower}' does not exist");
        }
        var resources = body.Object("resources");
        string cpu = "1", memory = "512Mi";
        string? storage = null;
        if (resources is not null)
        {
            cpu = ReadQuantity(resources, "cpu", 0.001, 64) ?? cpu;
            memory = ReadQuantity(resources, "memory", Limits.MinMemoryBytes, Limits.HostMemoryBytes) ?? memory;
            storage = ReadQuantity(resources, "storage", Limits.MinMemoryBytes, long.MaxValue);
        }
        var volumeMounts = VolumeService.ReadMounts(body);
        body.ThrowIfInvalid();
        VolumeService.RequireVolumes(store, volumeMounts);
        var now = clock.GetUtcNow().UtcDateTime;
        var template = new TemplateRecord { Id = Guid.NewGuid().ToString(), Name = name!, Image = image!, Cpu = cpu, Memory = memory, Storage = storage, VolumeMounts = volumeMounts, CreatedAt = now, UpdatedAt = now };
        try
        {
            store.InsertTemplate(template);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("TemplateAlreadyExists", $"template '{name}' already exists");
        }
        return template;
    }

    private static string? ReadQuantity(JsonInput resources, string field, double min, double max)
    {
        var text = resources.String(field);
        if (text is null) return null;
        if (!Quantity.TryParse(text, out var value))
        {
            resources.Fail(field, $"'{text}' is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1Gi)");
            return null;
        }
        if (value < min || value > max)
        {
            resources.Fail(field, $"'{text}' is out of range ({min:G} to {max:G})");
            return null;
        }
        return text;
    }

    public TemplateRecord Rename(string name, JsonInput body)
    {
        Get(name);
        var newName = body.Name("name");
        body.ThrowIfInvalid();
        if (newName is null || newName == name) return Get(name);
        try
        {
            store.RenameTemplate(name, newName, clock.GetUtcNow().UtcDateTime);
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
        if (store.TemplateUsedByPool(name)) throw new ConflictException("TemplateInUse", $"template '{name}' is used by a pool; delete the pool first");
        if (store.TemplateInUse(name)) throw new ConflictException("TemplateInUse", $"template '{name}' is used by sandboxes; delete them first");
        store.DeleteTemplate(name);
    }
}
