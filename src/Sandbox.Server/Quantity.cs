using System.Globalization;
using System.Text.RegularExpressions;

namespace Sandbox.Server;

/// <summary>Kubernetes resource quantities: "500m", "2", "512Mi", "1Gi", "1G", "1e9".</summary>
public static partial class Quantity
{
    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?(?:[eE][0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out double value)
    {
        value = 0;
        var m = Pattern().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return false;
        double factor = m.Groups[2].Value switch
        {
            "" => 1,
            "m" => 1e-3,
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
        value = number * factor;
        return true;
    }

    /// <summary>Bytes as the largest exact binary unit: 536870912 -> "512Mi".</summary>
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
