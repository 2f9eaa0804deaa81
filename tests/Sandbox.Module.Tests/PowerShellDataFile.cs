using System.Globalization;
using System.Text;

namespace Sandbox.Module.Tests;

/// <summary>
/// A small reader of PowerShell data files (.psd1): the restricted language of module manifests (hashtables
/// <c>@{}</c>, arrays <c>@()</c> and comma lists, single- and double-quoted strings, here-strings, numbers,
/// <c>$true</c>/<c>$false</c>/<c>$null</c>, comments). Enough to check a manifest without PowerShell; it
/// throws <see cref="FormatException"/> with the line and column of anything else.
/// Values: <see cref="Dictionary{TKey,TValue}"/> (case-insensitive keys), <see cref="List{T}"/>, string, long,
/// double, bool, null.
/// </summary>
public sealed class PowerShellDataFile
{
    private readonly string _text;
    private int _pos;

    private PowerShellDataFile(string text) => _text = text;

    public static Dictionary<string, object?> ParseFile(string path) => Parse(File.ReadAllText(path));

    public static Dictionary<string, object?> Parse(string text)
    {
        var reader = new PowerShellDataFile(text.TrimStart('\uFEFF'));
        reader.SkipTrivia(newlines: true);
        if (!reader.Peek("@{")) throw reader.Fail("a data file must hold one hashtable: expected '@{'");
        var value = reader.ParseHashtable();
        reader.SkipTrivia(newlines: true);
        if (reader._pos < reader._text.Length) throw reader.Fail("unexpected text after the hashtable");
        return value;
    }

    /// <summary>A string value, or a list of strings (a single string counts as a one-element list).</summary>
    public static IReadOnlyList<string>? StringList(object? value) => value switch
    {
        null => null,
        string s => [s],
        List<object?> list => list.Select(v => v?.ToString() ?? "").ToList(),
        _ => [Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""],
    };

    private Dictionary<string, object?> ParseHashtable()
    {
        Expect("@{");
        var table = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipTrivia(newlines: true, separators: true);
            if (TryConsume("}")) return table;
            int keyAt = _pos;
            string key = Current is '\'' or '"' ? ParseString() : ParseBareWord();
            if (key.Length == 0) throw Fail("expected a key or '}'");
            SkipTrivia();
            Expect("=");
            SkipTrivia(newlines: true);
            var value = ParseStatementValue();
            if (!table.TryAdd(key, value)) throw Fail($"duplicate key '{key}'", keyAt);
        }
    }

    // A value up to the end of the statement: a comma list is an array.
    private object? ParseStatementValue()
    {
        var first = ParseValue();
        SkipTrivia();
        if (Current != ',') return first;
        var list = new List<object?> { first };
        while (TryConsume(","))
        {
            SkipTrivia(newlines: true);
            list.Add(ParseValue());
            SkipTrivia();
        }
        return list;
    }

    private object? ParseValue()
    {
        SkipTrivia();
        if (Peek("@{")) return ParseHashtable();
        if (Peek("@(")) return ParseArray();
        if (Peek("@'") || Peek("@\"")) return ParseHereString();
        if (Current is '\'' or '"') return ParseString();
        if (Current == '$')
        {
            _pos++;
            string name = ParseBareWord().ToLowerInvariant();
            return name switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                _ => throw Fail($"variable '${name}' is not allowed in a data file"),
            };
        }
        if (Current is '-' or '+' or '.' || char.IsDigit(Current)) return ParseNumber();
        throw Fail($"unexpected '{Current}'");
    }

    private List<object?> ParseArray()
    {
        Expect("@(");
        var list = new List<object?>();
        while (true)
        {
            SkipTrivia(newlines: true, separators: true);
            if (TryConsume(")")) return list;
            var value = ParseValue();
            SkipTrivia();
            list.Add(value);
            // Elements are separated by commas, newlines or semicolons: all flatten into one array.
            if (TryConsume(",")) continue;
        }
    }

    private string ParseString()
    {
        char quote = Current;
        int start = _pos++;
        var sb = new StringBuilder();
        while (_pos < _text.Length)
        {
            char c = _text[_pos++];
            if (IsQuote(c, quote))
            {
                if (_pos < _text.Length && IsQuote(_text[_pos], quote)) { sb.Append(c); _pos++; continue; }
                return sb.ToString();
            }
            if (quote == '"' && c == '`' && _pos < _text.Length)
            {
                char e = _text[_pos++];
                sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
                continue;
            }
            if (quote == '"' && c == '$' && _pos < _text.Length && (char.IsLetter(_text[_pos]) || _text[_pos] is '{' or '('))
                throw Fail("variable expansion in a double-quoted string is not allowed in a data file", _pos - 1);
            sb.Append(c);
        }
        throw Fail("string never closed", start);
    }

    private static bool IsQuote(char c, char quote) => quote == '\''
        ? c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B'
        : c is '"' or '\u201C' or '\u201D' or '\u201E';

    private string ParseHereString()
    {
        char quote = _text[_pos + 1];
        int start = _pos;
        _pos += 2;
        int lineEnd = _text.IndexOf('\n', _pos);
        if (lineEnd < 0 || _text[_pos..lineEnd].Trim().Length > 0) throw Fail("a here-string's opening line must end after @' or @\"", start);
        int close = _text.IndexOf("\n" + quote + "@", lineEnd, StringComparison.Ordinal);
        if (close < 0) throw Fail("here-string never closed", start);
        string body = close <= lineEnd + 1 ? "" : _text[(lineEnd + 1)..close].TrimEnd('\r');
        _pos = close + 3;
        return body.Replace("\r\n", "\n");
    }

    private object ParseNumber()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] is '.' or '-' or '+')) _pos++;
        string token = _text[start.._pos];
        if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        throw Fail($"'{token}' is not a number (a version needs quotes)", start);
    }

    private string ParseBareWord()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-' or '.')) _pos++;
        return _text[start.._pos];
    }

    private void SkipTrivia(bool newlines = false, bool separators = false)
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c is ' ' or '\t' or '\r' || (newlines || separators) && c == '\n' || separators && c == ';') { _pos++; continue; }
            if (c == '`' && _pos + 1 < _text.Length && _text[_pos + 1] is '\n' or '\r') { _pos += 2; continue; }
            if (Peek("<#"))
            {
                int end = _text.IndexOf("#>", _pos + 2, StringComparison.Ordinal);
                if (end < 0) throw Fail("block comment never closed");
                _pos = end + 2;
                continue;
            }
            if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
                continue;
            }
            break;
        }
    }

    private char Current => _pos < _text.Length ? _text[_pos] : '\0';
    private bool Peek(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

    private bool TryConsume(string s)
    {
        if (!Peek(s)) return false;
        _pos += s.Length;
        return true;
    }

    private void Expect(string s)
    {
        if (!TryConsume(s)) throw Fail($"expected '{s}'");
    }

    private FormatException Fail(string message, int? at = null)
    {
        int pos = Math.Min(at ?? _pos, _text.Length);
        int line = 1 + _text.Take(pos).Count(c => c == '\n');
        int column = pos - (_text.LastIndexOf('\n', Math.Max(0, pos - 1)) + 1) + 1;
        if (pos > 0 && _text[pos - 1] == '\n') column = 1;
        return new FormatException($"line {line}, column {column}: {message}");
    }
}
