using System.Security.Cryptography;
using System.Text;
using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>One tab-completion result: the text inserted (quoted when needed), the text listed and a tool tip.</summary>
/// <param name="CompletionText">What replaces the word being completed.</param>
/// <param name="ListItemText">What the menu shows.</param>
/// <param name="ToolTip">Details shown beside it.</param>
public sealed record CompletionCandidate(string CompletionText, string ListItemText, string ToolTip);

/// <summary>What the module's argument completers decide: which names match the typed word and how each is quoted.</summary>
public static class NameCompletion
{
    /// <summary>
    /// Names that match <paramref name="wordToComplete"/> as a prefix (or as a wildcard pattern when it has wildcards),
    /// ignoring case, sorted, each quoted when the shell needs it (keeping the quote the user started with).
    /// </summary>
    /// <param name="names">Names with an optional tool tip each.</param>
    /// <param name="wordToComplete">What the user typed so far, possibly starting with a quote.</param>
    public static IReadOnlyList<CompletionCandidate> Complete(IEnumerable<(string Name, string? ToolTip)> names, string? wordToComplete)
    {
        ArgumentNullException.ThrowIfNull(names);
        var word = wordToComplete ?? "";
        char? quote = word.Length > 0 && word[0] is '\'' or '"' ? word[0] : null;
        if (quote is { } q) word = word[1..].TrimEnd(q);
        SandboxWildcard pattern;
        try
        {
            pattern = SandboxWildcard.Parse(SandboxWildcard.ContainsWildcard(word) ? word : SandboxWildcard.Escape(word) + "*");
        }
        catch (ArgumentException)
        {
            return [];
        }
        return names
            .Where(n => !string.IsNullOrEmpty(n.Name) && pattern.IsMatch(n.Name))
            .DistinctBy(n => n.Name, StringComparer.Ordinal)
            .OrderBy(n => n.Name, StringComparer.OrdinalIgnoreCase)
            .Select(n => new CompletionCandidate(Quote(n.Name, quote), n.Name, string.IsNullOrEmpty(n.ToolTip) ? n.Name : n.ToolTip!))
            .ToList();
    }

    /// <summary>True when a bare word <paramref name="text"/> would not reach a command as that string.</summary>
    public static bool NeedsQuoting(string text)
    {
        if (text.Length == 0) return true;
        if (text[0] is '-' or '@' or '#' or '<' or '>' or '[') return true;
        foreach (var c in text)
            if (char.IsWhiteSpace(c) || c is '\'' or '"' or '`' or '$' or '(' or ')' or '{' or '}' or ';' or ',' or '|' or '&' or '*' or '?' or '[' or ']')
                return true;
        return false;
    }

    /// <summary>Quotes <paramref name="text"/> with <paramref name="quote"/> (single quotes by default) when needed or when the user started a quote.</summary>
    public static string Quote(string text, char? quote = null)
    {
        if (quote is null && !NeedsQuoting(text)) return text;
        if (quote == '"')
        {
            var escaped = new StringBuilder();
            foreach (var c in text)
            {
                if (c is '"' or '`' or '$') escaped.Append('`');
                escaped.Append(c);
            }
            return "\"" + escaped + "\"";
        }
        return "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}

/// <summary>Names the module chooses itself.</summary>
public static class SandboxNames
{
    /// <summary>
    /// A fresh sandbox name in the local server's style, <c>sb-</c> plus 8 hex digits. <c>Use-Sandbox</c> names the sandbox
    /// before creating it so that it can delete it even when creation is interrupted.
    /// </summary>
    public static string NewSandboxName() => "sb-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
}
