using System.Text;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Find-and-replace in one text file inside a sandbox: read through the helper (at most <see cref="MaxBytes"/>, UTF-8),
/// every edit applied in order to every occurrence, written back atomically (the helper's upload: a temp file renamed
/// over it, the file's mode and owner kept). An edit whose text is not there refuses the whole request, the file untouched.
/// </summary>
public static class FileEdits
{
    public const long MaxBytes = 10L << 20;
    private const int Context = 3;

    /// <summary>(a unified diff of the change, how many replacements were made).</summary>
    public static async Task<(string Diff, int Replacements)> ApplyAsync(CommandLauncher launcher, SandboxRecord sandbox, string path,
        IReadOnlyList<(string Find, string Replace)> edits, CancellationToken ct)
    {
        var resolved = CommandLauncher.ResolvePath(path);
        string before;
        var (file, version) = await launcher.OpenForReadAsync(sandbox, path, ct);
        using (file)
        {
            if (version.Length > MaxBytes) throw new RejectedException("TooLarge", $"{resolved} is {version.Length} bytes: files over {MaxBytes >> 20} MiB are not edited");
            var bytes = new byte[version.Length];
            var read = 0;
            while (read < bytes.Length && await RandomAccess.ReadAsync(file, bytes.AsMemory(read), read, ct) is var n and > 0) read += n;
            try
            {
                before = new UTF8Encoding(false, true).GetString(bytes, 0, read);
            }
            catch (DecoderFallbackException)
            {
                throw new RejectedException("NotText", $"{resolved} is not UTF-8 text: it is not edited");
            }
        }
        var after = before;
        var count = 0;
        for (var i = 0; i < edits.Count; i++)
        {
            var (find, replace) = edits[i];
            var found = 0;
            for (var at = after.IndexOf(find, StringComparison.Ordinal); at >= 0; at = after.IndexOf(find, at + find.Length, StringComparison.Ordinal)) found++;
            if (found == 0) throw new RejectedException("TextNotFound", $"edit {i}: the text to find is not in {resolved} (after the edits before it); nothing was changed");
            after = after.Replace(find, replace, StringComparison.Ordinal);
            count += found;
        }
        var output = Encoding.UTF8.GetBytes(after);
        if (output.Length > MaxBytes) throw new RejectedException("TooLarge", $"{resolved} would be {output.Length} bytes after the edits: over {MaxBytes >> 20} MiB");
        using (var upload = await launcher.BeginUploadAsync(sandbox, path, ct))
        {
            await using (var stream = new FileStream(upload.File, FileAccess.Write, bufferSize: 0))
                await stream.WriteAsync(output, ct);
            await upload.CommitAsync(ct);
        }
        return (UnifiedDiff(resolved, before, after), count);
    }

    /// <summary>
    /// A unified diff of one hunk: the lines between the first and the last that differ, with up to three lines of
    /// context (correct for any change; not minimal when changes are far apart).
    /// </summary>
    public static string UnifiedDiff(string path, string before, string after)
    {
        if (before == after) return "";
        var a = SplitLines(before);
        var b = SplitLines(after);
        var prefix = 0;
        while (prefix < a.Count && prefix < b.Count && a[prefix] == b[prefix]) prefix++;
        var suffix = 0;
        while (suffix < a.Count - prefix && suffix < b.Count - prefix && a[^(suffix + 1)] == b[^(suffix + 1)]) suffix++;
        var start = Math.Max(0, prefix - Context);
        var endA = Math.Min(a.Count, a.Count - suffix + Context);
        var endB = Math.Min(b.Count, b.Count - suffix + Context);
        var sb = new StringBuilder();
        sb.Append($"--- a{path}\n+++ b{path}\n");
        sb.Append($"@@ -{Range(start, endA - start)} +{Range(start, endB - start)} @@\n");
        for (var i = start; i < prefix; i++) Line(sb, ' ', a[i]);
        for (var i = prefix; i < a.Count - suffix; i++) Line(sb, '-', a[i]);
        for (var i = prefix; i < b.Count - suffix; i++) Line(sb, '+', b[i]);
        for (var i = a.Count - suffix; i < endA; i++) Line(sb, ' ', a[i]);
        return sb.ToString();
    }

    private static string Range(int start, int length) => length == 0 ? $"{start},0" : length == 1 ? $"{start + 1}" : $"{start + 1},{length}";

    private static void Line(StringBuilder sb, char mark, string line)
    {
        sb.Append(mark);
        if (line.EndsWith('\n')) sb.Append(line);
        else sb.Append(line).Append("\n\\ No newline at end of file\n");
    }

    /// <summary>Lines with their newlines (the last may have none).</summary>
    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            lines.Add(text[start..(i + 1)]);
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }
}
