namespace SandboxModule;

/// <summary>How New-SandboxVolume and Resize-SandboxVolume read -Size.</summary>
internal static class VolumeSize
{
    /// <summary>A size given as '1Gi', '512Mi' or a number of bytes (PowerShell's 1GB is a number), as the string sent.</summary>
    public static string? SizeText(object? size)
    {
        var value = size is PSObject pso ? pso.BaseObject : size;
        var text = value switch
        {
            null => null,
            string s => s.Trim(),
            IConvertible c when value is not bool => Convert.ToString(c, System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        return text is not null && SandboxQuantity.TryParseBytes(text, out _) ? text : null;
    }
}
