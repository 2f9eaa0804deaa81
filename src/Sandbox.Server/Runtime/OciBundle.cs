using System.Text.Json.Nodes;

namespace Sandbox.Server.Runtime;

/// <summary>
/// The OCI runtime configuration (config.json) of one sandbox, with the defaults of trusted container runtimes:
/// a user namespace (<see cref="IdMap"/>), every capability dropped for commands (the helper keeps <see cref="HelperCapabilities"/>), no new privileges, the masked and read-only
/// /proc and /sys paths of runc and Docker, a seccomp filter (<see cref="SeccompProfile"/>), and only the devices
/// runc allows by default.
/// </summary>
public static class OciBundle
{
    /// <summary>The helper's only capabilities: setgroups/setresgid/setresuid and dropping the bounding set for commands.</summary>
    public static readonly string[] HelperCapabilities = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"];

    /// <summary>Paths a sandbox sees as empty (masked): kernel memory, keys, timers, firmware and such.</summary>
    public static readonly IReadOnlyList<string> MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/proc/interrupts", "/sys/firmware",
        "/sys/devices/virtual/powercap", "/sys/kernel/debug", "/sys/kernel/security",
    ];

    /// <summary>Paths a sandbox can read but never write: kernel parameters, the sysrq trigger, IRQs and buses.</summary>
    public static readonly IReadOnlyList<string> ReadOnlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <param name="spec">The sandbox.</param>
    /// <param name="rootfs">Its root (the overlay), relative to the bundle directory or absolute.</param>
    /// <param name="hostReadOnlyDirs">Host directories mounted read-only at the same path (the built-in image's /usr).</param>
    /// <param name="cgroupsPath">The sandbox's cgroup path under each controller.</param>
    /// <param name="userNamespace">The path of the sandbox's user namespace, made by its launcher (runc joins it).</param>
    /// <param name="seccomp">The filter, in the spec's form.</param>
    public static JsonObject Config(BootSpec spec, string rootfs, IReadOnlyList<string> hostReadOnlyDirs, string cgroupsPath, string userNamespace, JsonObject seccomp)
    {
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
        foreach (var dir in hostReadOnlyDirs) mounts.Add(Mount(dir, "bind", dir, "rbind", "ro", "nosuid", "nodev"));
        foreach (var bind in spec.Binds ?? []) mounts.Add(Mount(bind.Target, "bind", bind.Source, "rbind", "nosuid", "nodev"));

        // The helper (pid 1) keeps only what switching to run_config.user takes, namespaced to the sandbox's own ids;
        // each command drops all of it, the bounding set included, before its exec (native/sandbox-init.c).
        var capabilities = new JsonObject();
        foreach (var set in new[] { "bounding", "effective", "permitted" }) capabilities[set] = new JsonArray(HelperCapabilities.Select(c => (JsonNode)c).ToArray());
        foreach (var set in new[] { "inheritable", "ambient" }) capabilities[set] = new JsonArray();

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = false },
            ["hostname"] = spec.Hostname,
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                // sandbox-init, passed by the launcher as fd 4; the control socket is fd 3.
                ["args"] = new JsonArray("/proc/self/fd/4", "serve", "3"),
                ["env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"),
                ["cwd"] = "/",
                ["capabilities"] = capabilities,
                ["noNewPrivileges"] = true,
                // No rlimits: the server's own (which a user namespace cannot raise) are inherited.
            },
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["namespaces"] = new JsonArray(Namespace("pid"), Namespace("network"), Namespace("ipc"), Namespace("uts"), Namespace("mount"), new JsonObject { ["type"] = "user", ["path"] = userNamespace }, Namespace("cgroup")),
                ["uidMappings"] = new JsonArray(Mapping()),
                ["gidMappings"] = new JsonArray(Mapping()),
                ["cgroupsPath"] = cgroupsPath,
                // Every device denied but the ones runc always allows (null, zero, full, tty, random, urandom, ptmx, pts).
                ["resources"] = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }) },
                ["rootfsPropagation"] = "private",
                ["maskedPaths"] = new JsonArray(MaskedPaths.Select(p => (JsonNode?)p).ToArray()),
                ["readonlyPaths"] = new JsonArray(ReadOnlyPaths.Select(p => (JsonNode?)p).ToArray()),
                ["seccomp"] = seccomp.DeepClone(),
            },
        };
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) =>
        new() { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = new JsonArray(options.Select(o => (JsonNode?)o).ToArray()) };

    private static JsonObject Namespace(string type) => new() { ["type"] = type };

    private static JsonObject Mapping() => new() { ["containerID"] = 0, ["hostID"] = IdMap.HostId, ["size"] = IdMap.Size };
}
