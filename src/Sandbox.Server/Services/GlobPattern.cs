using System.Text;
using System.Text.RegularExpressions;

namespace Sandbox.Server.Services;

/// <summary>
/// A glob over paths relative to a directory: <c>**</c> (a whole segment) for any number of segments, <c>*</c>,
/// <c>?</c> and <c>[...]</c> (<c>[!...]</c> or <c>[^...]</c> negated) within one segment. <c>*</c> matches names
/// starting with a dot too. Compiled to a non-backtracking regular expression, so matching is linear in the path.
/// </summary>
public sealed class GlobPattern
{
    public const int MaxLength = 1024;
    private readonly Regex _regex;

    private GlobPattern(Regex regex, int? maxDepth, bool basenameOnly)
    {
        _regex = regex;
        MaxDepth = maxDepth;
        BasenameOnly = basenameOnly;
    }

    /// <summary>How many levels below the directory can match; null with <c>**</c> (any).</summary>
    public int? MaxDepth { get; }

    /// <summary>Matched against the last segment only (grep's <c>glob</c> without a '/').</summary>
    public bool BasenameOnly { get; }

    public bool IsMatch(string relativePath) =>
        _regex.IsMatch(BasenameOnly ? relativePath[(relativePath.LastIndexOf('/') + 1)..] : relativePath);

    /// <summary>Parses a pattern, or says what is wrong with it (for a 422).</summary>
    public static GlobPattern? TryParse(string pattern, bool basenameWithoutSlash, out string? error)
    {
        error = null;
        if (pattern.Length == 0) error = "must not be empty";
        else if (pattern.Length > MaxLength) error = $"must be at most {MaxLength} characters";
        else if (pattern.StartsWith('/')) error = "must be relative to path (no leading '/')";
        if (error is not null) return null;
        var segments = pattern.Split('/');
        if (segments.Any(s => s.Length == 0))
        {
            error = "must not contain empty segments ('//' or a trailing '/')";
            return null;
        }
        var regex = new StringBuilder("^");
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            if (segments[i] == "**")
            {
                regex.Append(last ? ".*" : "(?:[^/]+/)*");
                continue;
            }
            if (!AppendSegment(regex, segments[i], out error)) return null;
            if (!last) regex.Append('/');
        }
        regex.Append('$');
        var recursive = segments.Contains("**");
        var basename = basenameWithoutSlash && segments.Length == 1 && !recursive;
        return new GlobPattern(new Regex(regex.ToString(), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline),
            recursive || basename ? null : segments.Length, basename);
    }

    private static bool AppendSegment(StringBuilder regex, string segment, out string? error)
    {
        error = null;
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '*':
                    regex.Append("[^/]*");
                    while (i + 1 < segment.Length && segment[i + 1] == '*') i++; // "a**b" within a segment is "a*b"
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var from = i + 2 < segment.Length && segment[i + 1] is '!' or '^' ? i + 3 : i + 2;
                    var close = from > segment.Length ? -1 : segment.IndexOf(']', from); // "[" or "[!" at the end: none
                    if (close < 0)
                    {
                        error = $"'[' at {i} has no closing ']'";
                        return false;
                    }
                    var body = segment[(i + 1)..close];
                    var negated = body[0] is '!' or '^';
                    if (negated) body = body[1..];
                    regex.Append(negated ? "[^/" : "[");
                    foreach (var ch in body) regex.Append(ch is '\\' or '[' or ']' or '^' ? "\\" + ch : ch == '-' ? "-" : Regex.Escape(ch.ToString()));
                    regex.Append(']');
                    i = close;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return true;
    }
}
