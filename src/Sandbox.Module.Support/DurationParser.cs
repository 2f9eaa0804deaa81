using System.Globalization;
using System.Text.RegularExpressions;
using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>
/// Reads the durations that cmdlet parameters such as <c>-TimeToLive</c> accept: a <see cref="TimeSpan"/>, a number of
/// seconds, or text such as <c>600</c>, <c>90s</c>, <c>10m</c>, <c>1h30m</c>, <c>2d</c> or <c>01:30:00</c>.
/// </summary>
public static partial class DurationParser
{
    [GeneratedRegex(@"^\s*(?:(?<d>\d+)\s*d)?\s*(?:(?<h>\d+)\s*h)?\s*(?:(?<m>\d+)\s*m(?:in)?)?\s*(?:(?<s>\d+)\s*s(?:ec)?)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UnitPattern();

    /// <summary>Converts <paramref name="value"/> to a duration.</summary>
    /// <exception cref="FormatException">Not a duration.</exception>
    public static TimeSpan Parse(object? value)
    {
        if (TryParse(value, out var result)) return result;
        throw new FormatException($"'{value}' is not a duration: use seconds (600), a unit (90s, 10m, 1h30m, 2d) or hh:mm:ss");
    }

    /// <summary>Tries to convert <paramref name="value"/> to a non-negative duration.</summary>
    public static bool TryParse(object? value, out TimeSpan result)
    {
        bool ok;
        try
        {
            ok = TryParseCore(value, out result);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            // "NaN", "1e300", 2^64 seconds, "99999999999d": no duration; TimeSpan and the integer parsers throw on them.
            ok = false;
            result = TimeSpan.Zero;
        }
        if (!ok) result = TimeSpan.Zero;
        return ok;
    }

    private static bool TryParseCore(object? value, out TimeSpan result)
    {
        result = TimeSpan.Zero;
        switch (value)
        {
            case null:
                return false;
            case TimeSpan span:
                result = span;
                return span >= TimeSpan.Zero;
            case int or long or short or byte or uint or ulong or ushort:
                var whole = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                if (whole < 0) return false;
                result = TimeSpan.FromSeconds(whole);
                return true;
            case double or float or decimal:
                var seconds = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds)) return false;
                result = TimeSpan.FromSeconds(seconds);
                return true;
            case string text:
                return TryParseText(text, out result);
            default:
                return false;
        }
    }

    private static bool TryParseText(string text, out TimeSpan result)
    {
        result = TimeSpan.Zero;
        text = text.Trim();
        if (text.Length == 0) return false;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0) return false;
            result = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span))
        {
            result = span;
            return span >= TimeSpan.Zero;
        }
        var match = UnitPattern().Match(text);
        if (!match.Success || !(match.Groups["d"].Success || match.Groups["h"].Success || match.Groups["m"].Success || match.Groups["s"].Success)) return false;
        long Part(string g) => match.Groups[g].Success ? long.Parse(match.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        result = TimeSpan.FromDays(Part("d")) + TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s"));
        return true;
    }
}
