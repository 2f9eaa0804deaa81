using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>
/// What a user reads of a failed call: one sentence in the user's terms. A validation error names the parameter the
/// user typed (found by the wire field it sends, see the module's <c>WireField</c> attribute) and what is allowed; the
/// server's raw body stays on the exception (<see cref="SandboxApiException.ResponseBody"/>).
/// </summary>
public static class ErrorSentences
{
    /// <summary>The sentence for <paramref name="error"/>; <paramref name="parameterFor"/> maps a wire field to a parameter name (without the dash), or null.</summary>
    public static string For(SandboxApiException error, Func<string, string?> parameterFor)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(parameterFor);
        var issues = error.ValidationIssues.Where(i => i.Field is not null).ToList();
        if (issues.Count == 0 && error.Field is { } single)
            return Sentence($"{Named(single, parameterFor)}: {StripField(error.Message, single)}");
        if (issues.Count == 0) return Sentence(error.Message);
        return Sentence(string.Join("; ", issues.Select(i => $"{Named(i.Field!, parameterFor)}: {i.Message}")));
    }

    /// <summary>The parameter of the longest wire field that <paramref name="field"/> is or lies under (<c>network_policy.allow_cidrs.0</c> under <c>network_policy.allow_cidrs</c>).</summary>
    public static string? ParameterOf(string field, IEnumerable<(string Parameter, string WireField)> map) =>
        map.Where(m => field == m.WireField || field.StartsWith(m.WireField + ".", StringComparison.Ordinal) || field.StartsWith(m.WireField + "[", StringComparison.Ordinal))
           .OrderByDescending(m => m.WireField.Length)
           .Select(m => m.Parameter)
           .FirstOrDefault();

    private static string Named(string field, Func<string, string?> parameterFor) =>
        parameterFor(field) is { } parameter ? $"-{parameter} (sent as '{field}')" : $"'{field}'";

    // "body.ttl_seconds: must be ..." -> "must be ..." when the SDK's message already leads with the field.
    private static string StripField(string message, string field)
    {
        var at = message.IndexOf(field + ":", StringComparison.Ordinal);
        return at >= 0 ? message[(at + field.Length + 1)..].Trim() : message;
    }

    private static string Sentence(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return text;
        text = char.ToUpperInvariant(text[0]) + text[1..];
        return text.EndsWith('.') || text.EndsWith('?') || text.EndsWith(')') ? text : text + ".";
    }
}
