using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services.Exec;

/// <summary>
/// Resolves <c>run_config.user</c> (<c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>) against the sandbox's
/// own <c>/etc/passwd</c> and <c>/etc/group</c>, read through its helper (inside the sandbox's root, never a host path),
/// as Docker resolves an image's USER: a numeric uid without an entry gets gid 0; a named user gets its primary group
/// and the groups that list it.
/// </summary>
public static class SandboxUsers
{
    /// <summary>The most of each file read: account databases are small; a huge one is refused rather than held.</summary>
    private const int MaxFileBytes = 1 << 20;

    public sealed record Resolved(SandboxUser User, string? Name, string? Home);

    public static async Task<Resolved> ResolveAsync(CommandLauncher launcher, SandboxRecord sandbox, string spec, CancellationToken ct)
    {
        var parts = spec.Split(':');
        var (userPart, groupPart) = (parts[0], parts.Length > 1 ? parts[1] : null);
        var passwd = await ReadTableAsync(launcher, sandbox, "/etc/passwd", ct);
        var entry = passwd.FirstOrDefault(e => e[0] == userPart)
                    ?? (IsId(userPart) ? passwd.FirstOrDefault(e => e.Length > 2 && e[2] == userPart) : null);
        if (entry is null && !IsId(userPart))
            throw new RejectedException("UserNotFound", $"run_config.user '{spec}': no user '{userPart}' in the sandbox's /etc/passwd");
        var uid = entry is { Length: > 3 } && int.TryParse(entry[2], out var u) ? u : int.Parse(userPart);
        var gid = entry is { Length: > 3 } && int.TryParse(entry[3], out var g0) ? g0 : 0;
        var name = entry?[0];
        var groups = new List<int>();
        var table = await ReadTableAsync(launcher, sandbox, "/etc/group", ct);
        if (groupPart is not null)
        {
            var group = table.FirstOrDefault(e => e[0] == groupPart) ?? (IsId(groupPart) ? table.FirstOrDefault(e => e.Length > 2 && e[2] == groupPart) : null);
            if (group is null && !IsId(groupPart))
                throw new RejectedException("GroupNotFound", $"run_config.user '{spec}': no group '{groupPart}' in the sandbox's /etc/group");
            gid = group is { Length: > 2 } && int.TryParse(group[2], out var g1) ? g1 : int.Parse(groupPart);
        }
        if (name is not null)
            foreach (var group in table)
                if (group.Length > 3 && group[3].Split(',').Contains(name) && int.TryParse(group[2], out var member) && member is >= 0 and <= 65535 && !groups.Contains(member))
                    groups.Add(member);
        if (uid is < 0 or > 65535 || gid is < 0 or > 65535)
            throw new RejectedException("UserNotFound", $"run_config.user '{spec}' resolves to uid {uid} gid {gid}, outside the sandbox's ids (0-65535)");
        if (groups.Count > 64) groups = groups[..64];
        return new Resolved(new SandboxUser(uid, gid, groups), name, entry is { Length: > 5 } && entry[5].StartsWith('/') ? entry[5] : null);
    }

    private static bool IsId(string s) => s.Length is > 0 and <= 5 && s.All(char.IsAsciiDigit);

    /// <summary>The colon-separated lines of an account file; none when the sandbox has no such file.</summary>
    private static async Task<List<string[]>> ReadTableAsync(CommandLauncher launcher, SandboxRecord sandbox, string path, CancellationToken ct)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle file;
        try
        {
            file = await launcher.OpenFileAsync(sandbox, path, write: false, ct);
        }
        catch (NotFoundException)
        {
            return [];
        }
        using (file)
        {
            var buffer = new byte[MaxFileBytes + 1];
            var total = 0;
            while (total < buffer.Length && RandomAccess.Read(file, buffer.AsSpan(total), total) is var n and > 0) total += n;
            if (total > MaxFileBytes) throw new RejectedException("UserNotFound", $"the sandbox's {path} is over {MaxFileBytes} bytes; run_config.user is not looked up in it");
            return System.Text.Encoding.UTF8.GetString(buffer, 0, total).Split('\n')
                .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':')).ToList();
        }
    }
}
