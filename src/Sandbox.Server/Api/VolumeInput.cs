using System.Text.Json;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>Reads volume bodies (<c>POST/PATCH /volumes</c>) and a template's <c>volume_mounts</c> (422 naming the field).</summary>
public static class VolumeInput
{
    /// <summary>Kernel filesystems a volume must not hide.</summary>
    private static readonly string[] VirtualRoots = ["/proc", "/dev", "/sys"];

    public static CreateVolumeRequest Create(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var size = Size(body, "size", required: true);
        body.Bool("wait_for_ready");
        body.Number("timeout", 1, 600);
        body.ThrowIfInvalid();
        return new CreateVolumeRequest(name!, size!.Value);
    }

    public static UpdateVolumeRequest Update(JsonInput body)
    {
        var newName = body.Name("name");
        var size = Size(body, "size", required: false);
        body.ThrowIfInvalid();
        return new UpdateVolumeRequest(newName, size);
    }

    /// <summary>A size: a Kubernetes quantity string ("1Gi") or a whole number of bytes, within the limits.</summary>
    public static long? Size(JsonInput body, string field, bool required)
    {
        var raw = body.Raw(field);
        if (raw is null)
        {
            if (required) body.Fail(field, "field required", "missing");
            return null;
        }
        double value;
        switch (raw.Value.ValueKind)
        {
            case JsonValueKind.Number:
                value = raw.Value.GetDouble();
                break;
            case JsonValueKind.String when Quantity.TryParse(raw.Value.GetString()!, out var parsed):
                value = parsed;
                break;
            default:
                body.Fail(field, "must be a quantity such as '1Gi' or '512Mi', or a whole number of bytes");
                return null;
        }
        if (value != Math.Floor(value))
        {
            body.Fail(field, "must be a whole number of bytes");
            return null;
        }
        if (value < VolumeService.MinSizeBytes || value > VolumeService.MaxSizeBytes)
        {
            body.Fail(field, $"must be between {Quantity.FormatBytes(VolumeService.MinSizeBytes)} and {Quantity.FormatBytes(VolumeService.MaxSizeBytes)}");
            return null;
        }
        return (long)value;
    }

    /// <summary>
    /// Reads a template's <c>volume_mounts</c> (422 naming the item's field for a bad entry); call
    /// <see cref="RequireVolumes"/> once the whole body is valid.
    /// </summary>
    public static List<VolumeMount> Mounts(JsonInput body)
    {
        var mounts = new List<VolumeMount>();
        var items = body.ObjectArray("volume_mounts");
        if (items is null) return mounts;
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var volume = item.Name("volume_name", required: true);
            var path = item.String("mount_path", required: true);
            if (path is not null)
            {
                var problem = MountPathProblem(path);
                if (problem is not null) item.Fail("mount_path", problem);
                else if (!paths.Add(Normalize(path))) item.Fail("mount_path", $"'{path}' is used by another volume mount of this template");
                else if (volume is not null) mounts.Add(new VolumeMount(volume, Normalize(path)));
            }
        }
        return mounts;
    }

    private static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    private static string? MountPathProblem(string path)
    {
        if (!path.StartsWith('/')) return "must be an absolute path";
        var normal = Normalize(path);
        if (normal == "/") return "must not be '/'";
        if (path.Contains('\0') || path.Contains("//", StringComparison.Ordinal)) return "must be a plain absolute path";
        if (normal.Split('/').Any(part => part is "." or "..")) return "must not contain '.' or '..' segments";
        if (VirtualRoots.Any(v => normal == v || normal.StartsWith(v + "/", StringComparison.Ordinal))) return "must not be under /proc, /dev or /sys";
        return null;
    }
}
