using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Server.Runtime;

/// <summary>
/// The lower layers sandboxes boot from. The built-in image (templates <c>base</c> and <c>python</c>, image
/// <c>host</c>) is a small root made by the server: the host's <c>/usr</c> mounted read-only (coreutils, bash,
/// python3) and a synthetic <c>/etc</c>; nothing else of the host (no <c>/root</c>, <c>/home</c>, <c>/var</c>,
/// <c>/etc/shadow</c>, data directories). A <c>rootfs:/dir</c> image is used through a copy whose owners are shifted into
/// the sandboxes' id range (see <see cref="IdMap"/>), so its root-owned files belong to the sandbox's root.
/// </summary>
public sealed class RootImages
{
    /// <summary>
    /// How the host image was stored before it was replaced by the built-in one: sandboxes, pools and snapshots keep
    /// their lower layer as a path, and "/" (the host's root) now always means the built-in image.
    /// </summary>
    public const string BuiltInLower = "/";
    /// <summary>Bumped when the built-in image's layout changes, so that a new one is made beside the old.</summary>
    /// <remarks>2: the usual modes (the server's umask 077 had made every directory 0700 and file 0600, so no user but
    /// root could use the image) and /home/user owned by the image's user (run_config.user "user").</remarks>
    private const int BuiltInVersion = 2;

    /// <summary>Files of the host's /etc that programs need and that say nothing secret (copied when world-readable).</summary>
    private static readonly string[] EtcCopies =
    [
        "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl/certs/ca-certificates.crt", "ca-certificates.conf",
        "debian_version", "os-release", "bash.bashrc", "profile", "inputrc", "protocols", "services", "mime.types",
        "localtime", "timezone", "host.conf", "python3", "python3.11", "python3.12", "python3.13", "environment", "shells",
    ];

    private readonly string _imagesDir;
    private readonly string _dataDir;
    private readonly ILogger<RootImages> _log;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _copies = new();

    public RootImages(ServerOptions options, ILogger<RootImages> log)
    {
        _log = log;
        _dataDir = options.DataDir;
        _imagesDir = Path.Combine(options.DataDir, "images");
        Directory.CreateDirectory(_imagesDir);
        File.SetUnixFileMode(_imagesDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        BuiltInDir = Path.Combine(_imagesDir, $"builtin-v{BuiltInVersion}");
    }

    /// <summary>The built-in image's directory (made by <see cref="EnsureBuiltIn"/>).</summary>
    public string BuiltInDir { get; }

    /// <summary>
    /// Host directories bind-mounted read-only into every sandbox on the built-in image: /usr, and on a host that has
    /// not merged /bin, /sbin and /lib into /usr, those too.
    /// </summary>
    public IReadOnlyList<string> HostReadOnlyDirs { get; } =
        new[] { "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" }
            .Where(d => d == "/usr" || Directory.Exists(d) && new DirectoryInfo(d).LinkTarget is null).ToList();

    /// <summary>Makes the built-in image once per data directory (and layout version).</summary>
    public void EnsureBuiltIn()
    {
        if (File.Exists(BuiltInDir + ".complete")) return;
        lock (_builtInLock) MakeBuiltIn();
    }

    private readonly Lock _builtInLock = new();

    private void MakeBuiltIn()
    {
        if (File.Exists(BuiltInDir + ".complete")) return;
        if (Directory.Exists(BuiltInDir)) Directory.Delete(BuiltInDir, recursive: true); // a start that crashed half-way
        var staging = BuiltInDir + ".new-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        foreach (var dir in new[] { "usr", "etc", "home/user", "root", "tmp", "var/tmp", "var/cache", "var/lib", "var/log", "run", "proc", "sys", "dev", "mnt", "opt", "srv" })
            Directory.CreateDirectory(Path.Combine(staging, dir));
        foreach (var dir in new[] { "bin", "sbin", "lib", "lib64", "lib32", "libx32" })
        {
            var host = new DirectoryInfo("/" + dir);
            if (!host.Exists) continue;
            if (host.LinkTarget is { } target) File.CreateSymbolicLink(Path.Combine(staging, dir), target);
            else Directory.CreateDirectory(Path.Combine(staging, dir));
        }
        WriteEtc(Path.Combine(staging, "etc"));
        UsualModes(staging);
        // The image's user (uid 1000, /etc/passwd) owns its home; group root keeps it writable for root commands,
        // which hold no capabilities (no CAP_DAC_OVERRIDE) inside.
        var home = Path.Combine(staging, "home/user");
        if (Native.Lchown(home, 1000, 0) != 0) throw new IOException($"chown {home}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        File.SetUnixFileMode(home, (UnixFileMode)Convert.ToInt32("775", 8));
        File.SetUnixFileMode(Path.Combine(staging, "tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));
        File.SetUnixFileMode(Path.Combine(staging, "var/tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));
        File.SetUnixFileMode(Path.Combine(staging, "root"), (UnixFileMode)Convert.ToInt32("700", 8));
        IdMap.ShiftTreeAsync(staging, CancellationToken.None).GetAwaiter().GetResult();
        try
        {
            Directory.Move(staging, BuiltInDir);
            File.WriteAllText(BuiltInDir + ".complete", "");
        }
        catch (IOException) when (File.Exists(BuiltInDir + ".complete"))
        {
            Directory.Delete(staging, recursive: true); // made meanwhile by a concurrent start
        }
        _log.LogInformation("made the built-in image at {Dir}", BuiltInDir);
    }

    /// <summary>Directories 0755, files 0644 (0755 when executable by their owner); symlinks untouched.</summary>
    private static void UsualModes(string root)
    {
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Prepend(new DirectoryInfo(root)))
        {
            if (entry.LinkTarget is not null) continue;
            var exec = entry is DirectoryInfo || (entry.UnixFileMode & UnixFileMode.UserExecute) != 0;
            entry.UnixFileMode = (UnixFileMode)Convert.ToInt32(exec ? "755" : "644", 8);
        }
    }

    private static void WriteEtc(string etc)
    {
        File.WriteAllText(Path.Combine(etc, "passwd"),
            "root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:user:/home/user:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(etc, "hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(Path.Combine(etc, "nsswitch.conf"), "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n");
        File.WriteAllText(Path.Combine(etc, "hostname"), "sandbox\n");
        // DNS for sandboxes with a network: the host's resolvers, nothing else of its configuration.
        var nameservers = File.Exists("/etc/resolv.conf")
            ? File.ReadLines("/etc/resolv.conf").Where(l => l.StartsWith("nameserver ", StringComparison.Ordinal)).ToList()
            : [];
        File.WriteAllText(Path.Combine(etc, "resolv.conf"), nameservers.Count > 0 ? string.Join('\n', nameservers) + "\n" : "");
        foreach (var name in EtcCopies) CopyPublic(Path.Combine("/etc", name), Path.Combine(etc, name));
    }

    /// <summary>Copies a file, symlink or directory of the host when everyone may read it; skips anything else.</summary>
    private static void CopyPublic(string source, string target)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is { } link)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.CreateSymbolicLink(target, link);
            return;
        }
        if (Directory.Exists(source))
        {
            if ((File.GetUnixFileMode(source) & UnixFileMode.OtherRead) == 0) return;
            Directory.CreateDirectory(target);
            foreach (var entry in Directory.EnumerateFileSystemEntries(source)) CopyPublic(entry, Path.Combine(target, Path.GetFileName(entry)));
            return;
        }
        if (!info.Exists || (File.GetUnixFileMode(source) & UnixFileMode.OtherRead) == 0) return;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source, target, overwrite: true);
    }

    /// <summary>True when <paramref name="lowerDir"/> boots the built-in image (and gets the host's /usr).</summary>
    public static bool IsBuiltIn(string lowerDir) => Path.TrimEndingDirectorySeparator(lowerDir) is "" or "/";

    /// <summary>
    /// The directory to use as the overlay's lower layer for a stored lower dir: the built-in image, an image the server
    /// unpacked itself (already in the id range), or a shifted copy of a <c>rootfs:</c> directory (made on first use).
    /// </summary>
    public async Task<string> ResolveAsync(string lowerDir)
    {
        if (IsBuiltIn(lowerDir))
        {
            EnsureBuiltIn();
            return BuiltInDir;
        }
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(lowerDir));
        if (full.StartsWith(Path.TrimEndingDirectorySeparator(_dataDir) + "/", StringComparison.Ordinal)) return full;
        var lazy = _copies.GetOrAdd(full, path => new Lazy<Task<string>>(() => CopyShiftedAsync(path)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            _copies.TryRemove(full, out _);
            throw;
        }
    }

    private async Task<string> CopyShiftedAsync(string source)
    {
        var name = "rootfs-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..16];
        var target = Path.Combine(_imagesDir, name);
        if (File.Exists(target + ".complete")) return target;
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        var staging = target + ".new-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Directory.CreateDirectory(staging);
            await HostCommand.RunAsync("cp", ["-a", "--reflink=auto", source + "/.", staging + "/"]);
            await IdMap.ShiftTreeAsync(staging, CancellationToken.None);
            Directory.Move(staging, target);
            await File.WriteAllTextAsync(target + ".complete", "");
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
        _log.LogInformation("copied root filesystem {Source} into the sandboxes' id range at {Target}", source, target);
        return target;
    }
}
