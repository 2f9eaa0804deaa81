using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Sandbox.Server.Runtime;

/// <summary>
/// The seccomp filter every sandbox runs under, in the OCI runtime spec's <c>linux.seccomp</c> form.
/// It starts from the default profile that Podman and the containers tools ship (package
/// golang-github-containers-common, <c>/usr/share/containers/seccomp.json</c>, Docker's profile format), evaluated
/// for a process with no capabilities on this machine's architecture, and then takes away what Docker's default
/// profile admits only with CAP_SYS_ADMIN or never: Podman's copy allows mount and new namespaces because a
/// rootless container may run containers itself; sandboxes never need to.
/// </summary>
public static class SeccompProfile
{
    public const string DefaultPath = "/usr/share/containers/seccomp.json";

    /// <summary>Syscalls no sandbox may make, whatever the base profile says (EPERM).</summary>
    public static readonly IReadOnlyList<string> Denied =
    [
        // keyrings are not namespaced: a key added in one sandbox would be seen by every other one
        "keyctl", "add_key", "request_key",
        // mounts and namespaces: the sandbox's view of the filesystem is fixed by the runtime
        "mount", "umount", "umount2", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
        "pivot_root", "chroot", "setns", "unshare",
        // kernel surfaces with a long history of privilege escalations
        "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "lookup_dcookie", "quotactl", "quotactl_fd", "syslog", "acct", "swapon", "swapoff", "reboot",
        "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "kcmp", "process_madvise",
        "settimeofday", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64", "adjtimex", "stime",
        "setdomainname", "sethostname", "vhangup", "io_uring_setup", "io_uring_enter", "io_uring_register",
    ];

    // CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
    private const ulong NamespaceFlags = 0x7E020000;
    private const int Eperm = 1;
    private const int Enosys = 38;

    /// <summary>Reads the base profile and returns the filter for the OCI config.</summary>
    public static JsonObject Load(string path)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"the seccomp profile {path} is missing: install the Debian package 'golang-github-containers-common' (or pass --seccomp-profile)");
        var profile = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidOperationException($"{path} is empty");
        return Convert(profile, GoArch(RuntimeInformation.ProcessArchitecture));
    }

    /// <summary>Docker's profile format to the OCI form, for a process without capabilities on <paramref name="arch"/>.</summary>
    public static JsonObject Convert(JsonObject profile, string arch)
    {
        var rules = new JsonArray();
        foreach (var node in profile["syscalls"]?.AsArray() ?? [])
        {
            if (node is not JsonObject rule || !Applies(rule, arch)) continue;
            var action = (string?)rule["action"] ?? "SCMP_ACT_ERRNO";
            var names = (rule["names"]?.AsArray() ?? []).Select(n => (string?)n).OfType<string>()
                .Where(n => action != "SCMP_ACT_ALLOW" || !Denied.Contains(n) && n is not ("clone" or "clone3")).ToList();
            if (names.Count == 0) continue;
            var converted = new JsonObject { ["names"] = new JsonArray(names.Select(n => (JsonNode?)n).ToArray()), ["action"] = action };
            if (rule["errnoRet"] is { } errno) converted["errnoRet"] = errno.DeepClone();
            if (rule["args"] is JsonArray args && args.Count > 0) converted["args"] = args.DeepClone();
            rules.Add(converted);
        }
        rules.Add(new JsonObject { ["names"] = new JsonArray(Denied.Select(n => (JsonNode?)n).ToArray()), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = Eperm });
        // Threads and processes, but no new namespaces; clone3 hides its flags in memory, so libc falls back to clone.
        rules.Add(new JsonObject
        {
            ["names"] = new JsonArray("clone"),
            ["action"] = "SCMP_ACT_ALLOW",
            ["args"] = new JsonArray(new JsonObject { ["index"] = 0, ["value"] = NamespaceFlags, ["valueTwo"] = 0, ["op"] = "SCMP_CMP_MASKED_EQ" }),
        });
        rules.Add(new JsonObject { ["names"] = new JsonArray("clone3"), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = Enosys });

        var result = new JsonObject
        {
            ["defaultAction"] = (string?)profile["defaultAction"] ?? "SCMP_ACT_ERRNO",
            ["architectures"] = Architectures(profile, arch),
            ["syscalls"] = rules,
        };
        if (profile["defaultErrnoRet"] is { } defaultErrno) result["defaultErrnoRet"] = defaultErrno.DeepClone();
        return result;
    }

    /// <summary>A rule applies when its includes hold and its excludes do not, for no capabilities on this arch.</summary>
    private static bool Applies(JsonObject rule, string arch)
    {
        if (rule["includes"] is JsonObject includes)
        {
            if (includes["caps"] is JsonArray { Count: > 0 }) return false;
            if (includes["arches"] is JsonArray { Count: > 0 } arches && !arches.Any(a => (string?)a == arch)) return false;
            if (includes["minKernel"] is JsonValue) return false; // not needed on the kernels we run; be conservative
        }
        if (rule["excludes"] is JsonObject excludes)
        {
            if (excludes["arches"] is JsonArray { Count: > 0 } arches && arches.Any(a => (string?)a == arch)) return false;
            // "excludes caps" means "unless the process has these capabilities": it has none, so the rule applies.
        }
        return true;
    }

    private static JsonArray Architectures(JsonObject profile, string arch)
    {
        var wanted = arch switch { "amd64" => "SCMP_ARCH_X86_64", "arm64" => "SCMP_ARCH_AARCH64", _ => null };
        var result = new JsonArray();
        foreach (var entry in profile["archMap"]?.AsArray() ?? [])
        {
            if ((string?)entry?["architecture"] != wanted) continue;
            result.Add(wanted);
            foreach (var sub in entry?["subArchitectures"]?.AsArray() ?? []) result.Add((string?)sub);
        }
        if (result.Count == 0 && wanted is not null) result.Add(wanted);
        return result;
    }

    private static string GoArch(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        _ => throw new PlatformNotSupportedException($"the local server runs on x64 and arm64 Linux, not {architecture}"),
    };
}
