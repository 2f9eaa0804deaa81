using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Sandbox.Client;

/// <summary>A volume: storage that outlives sandboxes, mounted into the sandboxes of templates that name it.</summary>
public sealed class SandboxVolume : SandboxResource
{
    /// <summary>The same as <see cref="SandboxResource.Name"/>, for pipeline binding to parameters aliased <c>VolumeName</c>.</summary>
    [JsonIgnore]
    public string VolumeName => Name;

    /// <summary>The size as a Kubernetes quantity, e.g. <c>1Gi</c>.</summary>
    public string Size { get; set; } = "";

    /// <summary>The size in bytes (<see cref="Size"/> parsed), or null when the server sent something unparsable.</summary>
    [JsonIgnore]
    public long? SizeBytes => SandboxQuantity.TryParseBytes(Size, out var bytes) ? bytes : null;

    /// <summary>The storage class (<c>local</c> on the local server).</summary>
    public string? StorageClass { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>Kubernetes quantities for sizes: <c>512Mi</c>, <c>1Gi</c>, <c>1G</c>, or a number of bytes.</summary>
public static partial class SandboxQuantity
{
    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?(?:[eE][0-9]+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
    private static partial Regex Pattern();

    /// <summary>Parses a size; true only for a whole number of bytes.</summary>
    public static bool TryParseBytes(string? text, out long bytes)
    {
        bytes = 0;
        var m = Pattern().Match((text ?? "").Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return false;
        double factor = m.Groups[2].Value switch
        {
            "" => 1,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "Ki" => 1L << 10,
            "Mi" => 1L << 20,
            "Gi" => 1L << 30,
            "Ti" => 1L << 40,
            "Pi" => 1L << 50,
            _ => 1L << 60,
        };
        var value = number * factor;
        if (value != Math.Floor(value) || value < 0 || value > long.MaxValue) return false;
        bytes = (long)value;
        return true;
    }

    /// <summary>Bytes as the largest exact binary unit: 1073741824 gives <c>1Gi</c>; other values stay bytes.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"];
        for (var i = 0; i < units.Length; i++)
        {
            var size = 1L << (10 * (6 - i));
            if (bytes >= size && bytes % size == 0) return $"{bytes / size}{units[i]}";
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
