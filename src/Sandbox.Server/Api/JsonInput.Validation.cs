using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sandbox.Server.Api;

public sealed partial class JsonInput
{
    /// <summary>The reader limits every JSON body and WebSocket frame is parsed with (the defaults, spelled out).</summary>
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// The one gate every JSON input passes (HTTP bodies and WebSocket frames): parses <paramref name="utf8"/> and checks
    /// the whole document before any field is read, so that no endpoint can meet these cases on its own:
    /// <list type="bullet">
    /// <item>malformed JSON: 422 <c>json_invalid</c> at <paramref name="prefix"/>;</item>
    /// <item>a string or property name that is not valid Unicode (invalid UTF-8 bytes, lone surrogates, escaped or not):
    /// 422 <c>string_unicode</c> naming the field;</item>
    /// <item>a NUL character in a string or property name: 422 naming the field, unless <paramref name="allowNul"/> says
    /// that location may carry one (stdin data of a WebSocket <c>input</c> frame);</item>
    /// <item>a property name given twice in one object: 422 <c>duplicate_key</c> naming it (never "last one wins").</item>
    /// </list>
    /// Every problem is reported in one 422. Returns the parsed root (not yet checked to be an object).
    /// </summary>
    public static JsonElement ParseChecked(ReadOnlyMemory<byte> utf8, string[] prefix, Func<IReadOnlyList<object>, bool>? allowNul = null)
    {
        var issues = new List<ValidationIssue>();
        try
        {
            Check(utf8.Span, prefix, allowNul, issues);
        }
        catch (JsonException e)
        {
            throw ValidationException.For(prefix, $"{prefix[0]} is not valid JSON: {e.Message}", "json_invalid");
        }
        if (issues.Count > 0) throw new ValidationException(issues);
        try
        {
            using var doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = ReaderOptions.MaxDepth });
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ValidationException.For(prefix, $"{prefix[0]} is not valid JSON: {e.Message}", "json_invalid");
        }
    }

    private sealed class Container(bool isArray)
    {
        public readonly bool IsArray = isArray;
        public int Index;
        public HashSet<string>? Names;
    }

    private static void Check(ReadOnlySpan<byte> utf8, string[] prefix, Func<IReadOnlyList<object>, bool>? allowNul, List<ValidationIssue> issues)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        // loc: the prefix, then one entry per open container: the property or index of its current item.
        var loc = new List<object>(prefix);
        var stack = new Stack<Container>();
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                stack.Pop();
                loc.RemoveAt(loc.Count - 1);
                continue;
            }
            if (token == JsonTokenType.PropertyName)
            {
                var top = stack.Peek();
                var name = ReadString(ref reader, out var unicodeOk);
                loc[^1] = name;
                if (!unicodeOk)
                {
                    issues.Add(new ValidationIssue([.. loc], "field name is not valid UTF-8 / Unicode", "string_unicode"));
                    continue;
                }
                if (name.Contains('\0') && allowNul?.Invoke(loc) != true)
                    issues.Add(new ValidationIssue([.. loc], "field name must not contain NUL characters", "value_error"));
                top.Names ??= new HashSet<string>(StringComparer.Ordinal);
                if (!top.Names.Add(name))
                    issues.Add(new ValidationIssue([.. loc], "duplicate field: given more than once in the same object", "duplicate_key"));
                continue;
            }
            // A value: inside an array it is located by its index.
            if (stack.Count > 0 && stack.Peek().IsArray)
                loc[^1] = (stack.Peek().Index++).ToString(CultureInfo.InvariantCulture);
            switch (token)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    stack.Push(new Container(token == JsonTokenType.StartArray));
                    loc.Add("");
                    break;
                case JsonTokenType.String:
                    var value = ReadString(ref reader, out var ok);
                    if (!ok) issues.Add(new ValidationIssue([.. loc], "string is not valid UTF-8 / Unicode", "string_unicode"));
                    else if (value.Contains('\0') && allowNul?.Invoke(loc) != true)
                        issues.Add(new ValidationIssue([.. loc], "must not contain NUL characters", "value_error"));
                    break;
            }
        }
    }

    /// <summary>The token's string; when it is not valid Unicode, a lossy rendering (for the error's loc) and ok = false.</summary>
    private static string ReadString(ref Utf8JsonReader reader, out bool ok)
    {
        try
        {
            ok = true;
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            ok = false;
            return Encoding.UTF8.GetString(reader.ValueSpan); // parsed from one span: never a sequence
        }
    }
}
