using System.Text;

namespace Sandbox.Client;

/// <summary>
/// A shell-style wildcard pattern: <c>*</c> (any run), <c>?</c> (one character), <c>[abc]</c> and <c>[a-c]</c>
/// (one of a set), and the backtick as escape (<c>`*</c> is a literal star). Matching ignores case.
/// </summary>
public sealed class SandboxWildcard
{
    private abstract record Token;
    private sealed record Literal(char Char) : Token;
    private sealed record AnyOne : Token;
    private sealed record AnyRun : Token;
    private sealed record Set(string Chars, IReadOnlyList<(char From, char To)> Ranges) : Token;

    private readonly Token[] _tokens;

    private SandboxWildcard(string pattern, Token[] tokens, string longestLiteral)
    {
        Pattern = pattern;
        _tokens = tokens;
        LongestLiteral = longestLiteral;
    }

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    /// <summary>
    /// The longest run of literal characters (lowercased), e.g. <c>web</c> for <c>web-*</c>: what every match contains,
    /// so it is sent as <c>name_contains</c> to let the server filter. Empty when the pattern has no literal.
    /// </summary>
    public string LongestLiteral { get; }

    /// <summary>True when the pattern has wildcard characters (an unescaped <c>*</c>, <c>?</c> or <c>[</c>).</summary>
    public bool HasWildcards => _tokens.Any(t => t is not Literal);

    /// <summary>The literal text of a pattern without wildcards (escapes removed), or null when it has wildcards.</summary>
    public string? LiteralText => HasWildcards ? null : new string(_tokens.Cast<Literal>().Select(l => l.Char).ToArray());

    /// <summary>True when <paramref name="text"/> has an unescaped wildcard character.</summary>
    public static bool ContainsWildcard(string? text)
    {
        if (string.IsNullOrEmpty(text)) return false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '`') i++;
            else if (text[i] is '*' or '?' or '[') return true;
        }
        return false;
    }

    /// <summary>Escapes wildcard characters so that <paramref name="text"/> matches only itself.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '`') sb.Append('`');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Parses a pattern.</summary>
    /// <exception cref="ArgumentException">An unclosed <c>[</c> or an empty set.</exception>
    public static SandboxWildcard Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var tokens = new List<Token>();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    tokens.Add(new Literal(pattern[++i]));
                    break;
                case '*':
                    if (tokens.Count == 0 || tokens[^1] is not AnyRun) tokens.Add(new AnyRun());
                    break;
                case '?':
                    tokens.Add(new AnyOne());
                    break;
                case '[':
                {
                    var chars = new StringBuilder();
                    var ranges = new List<(char, char)>();
                    var j = i + 1;
                    var closed = false;
                    for (; j < pattern.Length; j++)
                    {
                        var d = pattern[j];
                        if (d == ']' ) { closed = true; break; }
                        if (d == '`' && j + 1 < pattern.Length) d = pattern[++j];
                        if (j + 2 < pattern.Length && pattern[j + 1] == '-' && pattern[j + 2] != ']')
                        {
                            var to = pattern[j + 2];
                            j += 2;
                            if (to == '`' && j + 1 < pattern.Length) to = pattern[++j];
                            ranges.Add((char.ToLowerInvariant(d) <= char.ToLowerInvariant(to) ? char.ToLowerInvariant(d) : char.ToLowerInvariant(to),
                                        char.ToLowerInvariant(d) <= char.ToLowerInvariant(to) ? char.ToLowerInvariant(to) : char.ToLowerInvariant(d)));
                        }
                        else chars.Append(char.ToLowerInvariant(d));
                    }
                    if (!closed) throw new ArgumentException($"The wildcard pattern '{pattern}' is not valid: '[' at position {i} is not closed by ']'.", nameof(pattern));
                    if (chars.Length == 0 && ranges.Count == 0) throw new ArgumentException($"The wildcard pattern '{pattern}' is not valid: '[]' is an empty set.", nameof(pattern));
                    tokens.Add(new Set(chars.ToString(), ranges));
                    i = j;
                    break;
                }
                default:
                    tokens.Add(new Literal(c));
                    break;
            }
        }

        string longest = "", current = "";
        foreach (var t in tokens)
        {
            if (t is Literal l)
            {
                current += char.ToLowerInvariant(l.Char);
                if (current.Length > longest.Length) longest = current;
            }
            else current = "";
        }
        return new SandboxWildcard(pattern, tokens.ToArray(), longest);
    }

    /// <summary>True when the whole of <paramref name="text"/> matches (case-insensitive).</summary>
    public bool IsMatch(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Iterative matcher with backtracking to the last star: linear in practice, no recursion, no regex.
        int ti = 0, pi = 0, starPi = -1, starTi = 0;
        while (ti < text.Length)
        {
            if (pi < _tokens.Length && _tokens[pi] is not AnyRun && MatchesOne(_tokens[pi], text[ti]))
            {
                ti++;
                pi++;
            }
            else if (pi < _tokens.Length && _tokens[pi] is AnyRun)
            {
                starPi = pi++;
                starTi = ti;
            }
            else if (starPi >= 0)
            {
                pi = starPi + 1;
                ti = ++starTi;
            }
            else return false;
        }
        while (pi < _tokens.Length && _tokens[pi] is AnyRun) pi++;
        return pi == _tokens.Length;
    }

    private static bool MatchesOne(Token token, char c)
    {
        var lower = char.ToLowerInvariant(c);
        return token switch
        {
            Literal l => char.ToLowerInvariant(l.Char) == lower,
            AnyOne => true,
            Set s => s.Chars.Contains(lower) || s.Ranges.Any(r => lower >= r.From && lower <= r.To),
            _ => false,
        };
    }

    /// <summary>The pattern.</summary>
    public override string ToString() => Pattern;
}
