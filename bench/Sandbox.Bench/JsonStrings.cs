using System.Text;

namespace Sandbox.Bench;

internal static class JsonStrings
{
    private static readonly byte[] ZeroRun = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("\\u0000", 64 * 1024)));

    /// <summary>
    /// The number of UTF-8 bytes a JSON string decodes to, from its escaped form (the bytes between the
    /// quotes). Same result as Utf8JsonReader.CopyString's length: a lone surrogate becomes U+FFFD (3 bytes).
    /// </summary>
    public static long DecodedUtf8Length(ReadOnlySpan<byte> s) => Count(s, stopAtQuote: false, out _);

    /// <summary>As <see cref="DecodedUtf8Length"/> over the start of <paramref name="s"/> up to its first unescaped quote.</summary>
    public static long DecodedUtf8LengthUntilQuote(ReadOnlySpan<byte> s, out int quoteIndex) => Count(s, stopAtQuote: true, out quoteIndex);

    private static long Count(ReadOnlySpan<byte> s, bool stopAtQuote, out int end)
    {
        long count = 0;
        var i = 0;
        end = -1;
        while (i < s.Length)
        {
            var j = stopAtQuote ? s[i..].IndexOfAny((byte)'\\', (byte)'"') : s[i..].IndexOf((byte)'\\');
            if (j < 0)
            {
                if (stopAtQuote) throw new FormatException("JSON string without its closing quote");
                count += s.Length - i;
                i = s.Length;
                break;
            }
            count += j;
            i += j;
            if (s[i] == (byte)'"')
            {
                end = i;
                return count;
            }
            // Fast path for runs of \u0000 (binary zeros, as /dev/zero gives): one vectorised compare.
            var run = s[i..].CommonPrefixLength(ZeroRun) / 6;
            if (run > 1)
            {
                count += run;
                i += run * 6;
                continue;
            }
            if (i + 1 >= s.Length) throw new FormatException("JSON string ends inside an escape");
            if (s[i + 1] != (byte)'u')
            {
                count += 1;
                i += 2;
                continue;
            }
            var cp = Hex4(s, i + 2);
            i += 6;
            if (cp is >= 0xD800 and <= 0xDBFF && i + 6 <= s.Length && s[i] == (byte)'\\' && s[i + 1] == (byte)'u')
            {
                var low = Hex4(s, i + 2);
                if (low is >= 0xDC00 and <= 0xDFFF)
                {
                    count += 4;
                    i += 6;
                    continue;
                }
            }
            count += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
        }
        if (stopAtQuote) throw new FormatException("JSON string without its closing quote");
        end = i;
        return count;
    }

    /// <summary>Checks the counter against System.Text.Json's own unescaping; run at start-up, it costs nothing.</summary>
    public static void SelfCheck()
    {
        string[] samples =
        [
            "", "abc", "\0", "\0\0\0\0x\0", new string('\0', 5000), "é€😀", "a\\u0000b", "\n\t\"\\/",
            "\uD800x", "x\uDC00", string.Concat(Enumerable.Repeat("\0é\u0001z", 1000)),
        ];
        foreach (var text in samples)
        {
            var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(text);
            var inner = json.AsSpan(1, json.Length - 2);
            var reader = new System.Text.Json.Utf8JsonReader(json);
            reader.Read();
            var expected = reader.ValueIsEscaped ? reader.CopyString(new byte[json.Length]) : reader.ValueSpan.Length;
            var framed = Encoding.UTF8.GetBytes("{\"x\":\"").Concat(inner.ToArray()).Concat("\",\"y\":1}"u8.ToArray()).ToArray();
            var viaQuote = DecodedUtf8LengthUntilQuote(framed.AsSpan(6), out var q);
            if (DecodedUtf8Length(inner) != expected || viaQuote != expected || q != inner.Length)
                throw new InvalidOperationException($"JSON length counter is wrong for a sample of {text.Length} chars");
        }
    }

    private static int Hex4(ReadOnlySpan<byte> s, int at)
    {
        if (at + 4 > s.Length) throw new FormatException("JSON string ends inside a \\u escape");
        var v = 0;
        for (var k = 0; k < 4; k++)
        {
            var c = s[at + k];
            var d = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => throw new FormatException("bad hex digit in a \\u escape"),
            };
            v = v * 16 + d;
        }
        return v;
    }
}
