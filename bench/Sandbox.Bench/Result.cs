using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sandbox.Bench;

/// <summary>One row: a server measurement next to its raw baseline from the same run.</summary>
internal sealed record Result(string Metric, string Unit, double? Value, double? Baseline, string Target, bool? TargetMet, int N, string Note)
{
    /// <summary>value / baseline, for latencies and throughputs alike (the metric name says which way is good).</summary>
    public double? Ratio => Value is double v && Baseline is double b && b != 0 ? v / b : null;

    public static Result Make(string metric, string unit, double? value, double? baseline, int n, string note, string target = "", Func<Result, bool?>? met = null)
    {
        var r = new Result(metric, unit, value, baseline, target, null, n, note);
        return met is null || value is null ? r : r with { TargetMet = met(r) };
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("metric", Metric);
            w.WriteString("unit", Unit);
            WriteNumber(w, "value", Value);
            WriteNumber(w, "baseline", Baseline);
            WriteNumber(w, "ratio", Ratio);
            if (Target.Length > 0) w.WriteString("target", Target); else w.WriteNull("target");
            if (TargetMet is bool m) w.WriteBoolean("target_met", m); else w.WriteNull("target_met");
            w.WriteNumber("n", N);
            w.WriteString("note", Note);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, double? v)
    {
        if (v is double d && double.IsFinite(d)) w.WriteNumber(name, Math.Round(d, 4));
        else w.WriteNull(name);
    }

    public static string Table(IReadOnlyList<Result> rows)
    {
        string F(double? v) => v is double d && double.IsFinite(d) ? d.ToString(d >= 100 ? "F1" : "F3", CultureInfo.InvariantCulture) : "-";
        var cells = rows.Select(r => new[]
        {
            r.Metric, r.Unit, F(r.Value), F(r.Baseline), r.Ratio is double x ? x.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-",
            r.Target, r.TargetMet switch { true => "MET", false => "MISSED", null => r.Target.Length > 0 ? "n/a" : "" }, r.N.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        string[] header = ["metric", "unit", "server", "raw baseline", "ratio", "target", "", "n"];
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] c) => sb.AppendLine(string.Join("  ", c.Select((s, i) => i is 2 or 3 or 4 or 7 ? s.PadLeft(widths[i]) : s.PadRight(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var c in cells) Line(c);
        return sb.ToString();
    }
}
