using System.Diagnostics;

namespace Sandbox.Server.Runtime;

/// <summary>The host tools the runtime runs (mkfs.ext4, mount, cp, find, runc...): one way to run them and read their answer.</summary>
public static class HostCommand
{
    /// <summary>Runs <paramref name="file"/> and returns its exit code, standard output and standard error.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> TryRunAsync(string file, IEnumerable<string> args, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new IOException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout, (await stderr).Trim());
    }

    /// <summary>Runs <paramref name="file"/>, returns its standard output, and throws an IOException naming the command when it fails.</summary>
    public static async Task<string> RunAsync(string file, IReadOnlyList<string> args, CancellationToken ct = default, int[]? okExitCodes = null)
    {
        var (code, stdout, stderr) = await TryRunAsync(file, args, ct);
        if (!(okExitCodes ?? [0]).Contains(code))
            throw new IOException($"{file} {string.Join(' ', args)} exited {code}: {(stderr.Length > 400 ? stderr[^400..] : stderr)}");
        return stdout;
    }
}

/// <summary>The server's mount table (<c>/proc/self/mountinfo</c>).</summary>
public static class MountTable
{
    /// <summary>True when <paramref name="path"/> is a mount point in the server's mount namespace.</summary>
    public static bool IsMountPoint(string path)
    {
        if (!Directory.Exists(path)) return false;
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == target) return true;
        }
        return false;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) => at + 3 <= s.Length && s.Substring(at, 3).All(c => c is >= '0' and <= '7');
}
