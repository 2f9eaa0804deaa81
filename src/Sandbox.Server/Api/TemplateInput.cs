using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>Reads template bodies (<c>POST/PATCH /templates</c>) into typed requests (422 naming the field).</summary>
public static class TemplateInput
{
    public static CreateTemplateRequest Create(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var image = body.String("image", required: true);
        if (image is not null)
        {
            var lower = TemplateCatalog.LowerDir(image);
            if (lower is null) body.Fail("image", TemplateCatalog.ImageHelp);
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
        var volumeMounts = VolumeInput.Mounts(body);
        body.ThrowIfInvalid();
        return new CreateTemplateRequest(name!, image!, cpu, memory, storage, volumeMounts);
    }

    /// <summary>The new name of a PATCH, or null.</summary>
    public static string? Rename(JsonInput body)
    {
        var newName = body.Name("name");
        body.ThrowIfInvalid();
        return newName;
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
}
