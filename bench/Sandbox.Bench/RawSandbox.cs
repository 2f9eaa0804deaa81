using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Sandbox.Bench;

/// <summary>
/// The raw baseline: what a sandbox costs with no server in between, under the runtime the server uses. An overlay
/// root mounted with one mount(2) call over a tiny lower dir like the server's built-in image (empty dirs, /bin, /lib
/// ... as the host's symlinks into /usr, the host's /usr bind-mounted read-only by runc), then <c>runc run --detach</c>
/// of a bundle whose config.json isolates as the server's does (<c>Sandbox.Server.Runtime.OciBundle</c>): pid, net,
/// ipc, uts, mount, cgroup and user namespaces (0 -> 100000, 65536 ids), no capabilities, no new privileges, the same
/// masked and read-only paths, devices denied, and the same seccomp filter (the server's <c>SeccompProfile.cs</c> is
/// compiled into the bench). Differences: runc makes the user namespace itself (the server's launcher makes it, owned
/// by a random host uid, and runc joins it), the cgroups are runc's defaults without limits, /etc is empty, and the
/// upper layer is a plain directory of the host's /tmp unless <see cref="Variant.LoopExt4"/> is asked for.
/// Ready = <c>runc run --detach</c> has returned 0 and its pid file names the container's init.
/// </summary>
internal sealed class RawSandbox : IDisposable
{
    public enum Variant
    {
        /// <summary>Upper and work dirs on the host's filesystem.</summary>
        PlainUpper,
        /// <summary>As the server: a sparse ext4 image of 8 GiB made with the server's mkfs options and loop-mounted.</summary>
        LoopExt4,
    }

    public const int HostId = 100000;
    public const int IdCount = 65536;
    public const long LoopCapacityBytes = 8L << 30;

    private static string? _root;
    private static string? _lower;
    private static string? _runcRoot;
    private static string? _cgroupParent;
    private static JsonObject? _seccomp;
    private static string? _runc;

    private readonly string _dir;
    private readonly string _merged;
    private readonly string? _fs;
    private bool _disposed;

    public string Id { get; }
    /// <summary>The container's init (pid 1 inside), from runc's pid file.</summary>
    public int ChildPid { get; }
    /// <summary>The container's cgroup path under each controller.</summary>
    public string CgroupPath { get; }

    private RawSandbox(string id, string dir, string merged, string? fs, int childPid, string cgroupPath)
    {
        Id = id;
        _dir = dir;
        _merged = merged;
        _fs = fs;
        ChildPid = childPid;
        CgroupPath = cgroupPath;
    }

    public static string RuncPath => _runc ??= FindOnPath("runc") ?? throw new InvalidOperationException("runc not found on PATH");

    /// <summary>
    /// Once per run: the lower dir, runc's state dir and the seccomp filter. The dirs on the way to a sandbox's root
    /// must be traversable by the sandbox's root user (host uid 100000): runc mounts the root from inside the user namespace.
    /// </summary>
    public static void Setup(string root, string runId, string seccompProfile)
    {
        _root = root;
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        for (var d = root; d is not null && d != "/" && d != "/tmp"; d = Path.GetDirectoryName(d))
            File.SetUnixFileMode(d, File.GetUnixFileMode(d) | UnixFileMode.OtherExecute);
        _lower = Path.Combine(root, "lower");
        Directory.CreateDirectory(_lower);
        foreach (var dir in new[] { "usr", "etc", "home/user", "root", "tmp", "var/tmp", "run", "proc", "sys", "dev", "mnt", "opt" })
            Directory.CreateDirectory(Path.Combine(_lower, dir));
        foreach (var dir in new[] { "bin", "sbin", "lib", "lib64", "lib32", "libx32" })
        {
            var host = new DirectoryInfo("/" + dir);
            if (!host.Exists) continue;
            if (host.LinkTarget is { } target) File.CreateSymbolicLink(Path.Combine(_lower, dir), target);
            else Directory.CreateDirectory(Path.Combine(_lower, dir));
        }
        File.WriteAllText(Path.Combine(_lower, "etc", "passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        _runcRoot = Path.Combine(root, "runc");
        Directory.CreateDirectory(_runcRoot);
        _cgroupParent = $"sbxbench-raw-{runId}";
        _seccomp = Sandbox.Server.Runtime.SeccompProfile.Load(seccompProfile);
        _ = RuncPath;
    }

    /// <summary>Host directories bind-mounted read-only, as the server's built-in image gets them.</summary>
    private static readonly string[] HostReadOnlyDirs =
        new[] { "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" }
            .Where(d => d == "/usr" || Directory.Exists(d) && new DirectoryInfo(d).LinkTarget is null).ToArray();

    // The same lists as Sandbox.Server.Runtime.OciBundle.
    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/interrupts", "/sys/firmware",
        "/sys/devices/virtual/powercap", "/sys/kernel/debug", "/sys/kernel/security",
    ];
    private static readonly string[] ReadOnlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    private static JsonObject Config(string hostname, string cgroupsPath, string[] command)
    {
        static JsonObject Mount(string destination, string type, string source, params string[] options) =>
            new() { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = new JsonArray(options.Select(o => (JsonNode?)o).ToArray()) };
        static JsonObject Ns(string type) => new() { ["type"] = type };
        static JsonObject Mapping() => new() { ["containerID"] = 0, ["hostID"] = HostId, ["size"] = IdCount };
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            Mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777"),
        };
        foreach (var dir in HostReadOnlyDirs) mounts.Add(Mount(dir, "bind", dir, "rbind", "ro", "nosuid", "nodev"));
        var noCapabilities = new JsonObject();
        foreach (var set in new[] { "bounding", "effective", "inheritable", "permitted", "ambient" }) noCapabilities[set] = new JsonArray();
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["root"] = new JsonObject { ["path"] = "merged", ["readonly"] = false },
            ["hostname"] = hostname,
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray(command.Select(a => (JsonNode?)a).ToArray()),
                ["env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"),
                ["cwd"] = "/",
                ["capabilities"] = noCapabilities,
                ["noNewPrivileges"] = true,
            },
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(Ns("pid"), Ns("network"), Ns("ipc"), Ns("uts"), Ns("mount"), Ns("user"), Ns("cgroup")),
                ["uidMappings"] = new JsonArray(Mapping()),
                ["gidMappings"] = new JsonArray(Mapping()),
                ["cgroupsPath"] = cgroupsPath,
                ["resources"] = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }) },
                ["rootfsPropagation"] = "private",
                ["maskedPaths"] = new JsonArray(MaskedPaths.Select(p => (JsonNode?)p).ToArray()),
                ["readonlyPaths"] = new JsonArray(ReadOnlyPaths.Select(p => (JsonNode?)p).ToArray()),
                ["seccomp"] = _seccomp!.DeepClone(),
            },
        };
    }

    /// <summary>Makes the upper layer, mounts the overlay, writes config.json, runs runc detached; returns once it has.</summary>
    public static RawSandbox Start(string name, Variant variant, params string[] command)
    {
        if (_root is null) throw new InvalidOperationException("RawSandbox.Setup first");
        var dir = Path.Combine(_root, name);
        var merged = Path.Combine(dir, "merged");
        Directory.CreateDirectory(dir);
        string? fs = null;
        var upperBase = dir;
        var id = name;
        var cgroupPath = $"/{_cgroupParent}/{id}";
        var started = false;
        try
        {
            if (variant == Variant.LoopExt4)
            {
                fs = Path.Combine(dir, "fs");
                var image = Path.Combine(dir, "fs.img");
                using (var f = new FileStream(image, FileMode.Create, FileAccess.Write)) f.SetLength(LoopCapacityBytes);
                Run("mkfs.ext4", "-q", "-F", "-m", "0", "-E", $"nodiscard,lazy_itable_init=1,lazy_journal_init=1,root_owner={HostId}:{HostId}", image);
                Directory.CreateDirectory(fs);
                Run("mount", "-t", "ext4", "-o", "loop,nosuid,nodev,noatime", image, fs);
                upperBase = fs;
            }
            var upper = Path.Combine(upperBase, "upper");
            var work = Path.Combine(upperBase, "work");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            Directory.CreateDirectory(merged);
            // The sandbox's root owns its writable layer (as the server's SandboxStorage does).
            Native.Chown(upper, HostId, HostId);
            Native.Chown(work, HostId, HostId);
            Native.MountOverlay(_lower!, upper, work, merged);
            File.WriteAllText(Path.Combine(dir, "config.json"), Config(name, cgroupPath, command).ToJsonString());
            var pidFile = Path.Combine(dir, "init.pid");
            started = true;
            // runc's stdio is not redirected: a detached container keeps it, and a pipe would stay open as long as the
            // container; runc's errors go to --log as well.
            var log = Path.Combine(dir, "runc.log");
            try
            {
                Run(RuncPath, redirect: false, "--root", _runcRoot!, "--log", log, "run", "--detach", "--no-new-keyring", "--bundle", dir, "--pid-file", pidFile, id);
            }
            catch (InvalidOperationException e)
            {
                var text = File.Exists(log) ? File.ReadAllText(log).Trim() : "";
                throw new InvalidOperationException($"{e.Message}: {(text.Length > 600 ? text[^600..] : text)}", e);
            }
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            return new RawSandbox(id, dir, merged, fs, pid, cgroupPath);
        }
        catch
        {
            Teardown(id, dir, merged, fs, started);
            throw;
        }
    }

    /// <summary>Runs a tool to its end (bounded), stdin/stdout/stderr on pipes; throws with its stderr when it fails.</summary>
    private static void Run(string file, params string[] args) => Run(file, true, args);

    private static void Run(string file, bool redirect, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = redirect, RedirectStandardError = redirect };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = redirect ? p.StandardError.ReadToEndAsync() : Task.FromResult("");
        if (redirect) _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            try { p.Kill(); } catch (InvalidOperationException) { }
            throw new TimeoutException($"{file} did not finish in 30 s");
        }
        if (p.ExitCode != 0)
        {
            var text = stderr.Wait(2000) ? stderr.Result.Trim() : "";
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {p.ExitCode}: {text}");
        }
    }

    /// <summary>runc delete --force (kills the container, removes its cgroups), unmount, remove the dirs.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Teardown(Id, _dir, _merged, _fs, true);
    }

    private static void Teardown(string id, string dir, string merged, string? fs, bool started)
    {
        if (started)
        {
            try { Run(RuncPath, "--root", _runcRoot!, "delete", "--force", id); }
            catch (InvalidOperationException) { }
        }
        Native.Unmount(merged);
        if (fs is not null)
        {
            // Not lazily: a lazy detach would keep the loop device until the last user is gone.
            for (var i = 0; i < 50 && Mounts.Under(fs).Count > 0; i++)
            {
                try { Run("umount", fs); }
                catch (InvalidOperationException) { Thread.Sleep(20); }
            }
        }
        DeleteIfUnmounted(dir);
    }

    /// <summary>The parent cgroups runc made for the raw sandboxes (runc removes each sandbox's own).</summary>
    public static void CleanupCgroups()
    {
        if (_cgroupParent is null || !Directory.Exists("/sys/fs/cgroup")) return;
        foreach (var controller in Directory.GetDirectories("/sys/fs/cgroup"))
        {
            var dir = Path.Combine(controller, _cgroupParent);
            try { if (Directory.Exists(dir)) Directory.Delete(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Pids in the sandbox's memory cgroup (the container's processes; runc itself has exited).</summary>
    public List<int> Pids()
    {
        var file = $"/sys/fs/cgroup/memory{CgroupPath}/cgroup.procs";
        if (!File.Exists(file)) file = $"/sys/fs/cgroup{CgroupPath}/cgroup.procs";
        try { return File.ReadAllLines(file).Where(l => l.Length > 0).Select(int.Parse).ToList(); }
        catch (IOException) { return []; }
    }

    /// <summary>memory.usage_in_bytes of the sandbox's memory cgroup (v1), or NaN.</summary>
    public double CgroupMemoryUsage()
    {
        var dir = $"/sys/fs/cgroup/memory{CgroupPath}";
        return Directory.Exists(dir) ? HostMemory.CgroupMemoryUsage(dir) : double.NaN;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static void DeleteIfUnmounted(string dir)
    {
        if (Mounts.Under(dir).Count > 0) return; // never recurse into a mounted tree: the final cleanup reports it
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Mount table queries, so that no recursive delete ever walks into a mount.</summary>
internal static class Mounts
{
    /// <summary>Mount points at or under <paramref name="dir"/> in this mount namespace, deepest first.</summary>
    public static List<string> Under(string dir)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5) continue;
            var point = Unescape(fields[4]);
            if (point == prefix || point.StartsWith(prefix + "/", StringComparison.Ordinal)) result.Add(point);
        }
        return result.OrderByDescending(p => p.Length).ToList();
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
