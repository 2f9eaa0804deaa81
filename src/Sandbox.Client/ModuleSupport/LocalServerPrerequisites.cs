using System.Runtime.InteropServices;

namespace Sandbox.Client.ModuleSupport;

/// <summary>
/// What the local server needs from the machine, checked before anything is launched so that a missing piece is named
/// instead of surfacing as a server that starts and then fails every sandbox: Linux on x64 or arm64
/// (<c>SandboxServerUnsupportedPlatform</c>; elsewhere the module works against hosted endpoints), root for mounts,
/// namespaces and cgroups (<c>SandboxServerRequiresRoot</c>), the programs of <see cref="RequiredPrograms"/> on <c>PATH</c>
/// and the containers' default seccomp profile <c>/usr/share/containers/seccomp.json</c>
/// (<c>SandboxServerMissingDependency</c>, naming the Debian packages).
/// </summary>
public static class LocalServerPrerequisites
{
    /// <summary>The local server does not run on this OS or processor (<c>NotImplemented</c>).</summary>
    public const string UnsupportedPlatform = "SandboxServerUnsupportedPlatform";

    /// <summary>The local server needs root (<c>PermissionDenied</c>).</summary>
    public const string RequiresRoot = "SandboxServerRequiresRoot";

    /// <summary>A program or file the local server needs is not installed (<c>ObjectNotFound</c>).</summary>
    public const string MissingDependency = "SandboxServerMissingDependency";

    /// <summary>
    /// The host programs every sandbox needs, with the Debian package of each: the OCI runtime, its filesystem (a
    /// loop-mounted ext4 per sandbox) and its network (veth pair, nftables policy).
    /// </summary>
    public static readonly IReadOnlyList<(string Program, string Package)> RequiredPrograms =
    [
        ("runc", "runc"),
        ("mkfs.ext4", "e2fsprogs"),
        ("losetup", "mount"),
        ("ip", "iproute2"),
        ("nft", "nftables"),
    ];

    /// <summary>The seccomp profile the server applies to sandboxes (Debian: golang-github-containers-common).</summary>
    public const string SeccompProfilePath = "/usr/share/containers/seccomp.json";

    /// <summary>The folder under the module's <c>server/</c> that holds the self-contained server for a processor, or null when none ships.</summary>
    public static string? RuntimeFolder(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "linux-x64",
        Architecture.Arm64 => "linux-arm64",
        _ => null,
    };

    /// <summary>The machine as it is: this process's OS, processor, privileges, <c>PATH</c> and files.</summary>
    public static LocalServerException? CheckThisMachine(string? target) =>
        Check(OperatingSystem.IsLinux(), RuntimeInformation.OSArchitecture, Environment.IsPrivilegedProcess,
            Environment.GetEnvironmentVariable("PATH"), File.Exists, target);

    /// <summary>Only the platform: Linux on a processor the package has a server for.</summary>
    public static LocalServerException? CheckPlatform(bool isLinux, Architecture architecture, string? target)
    {
        if (isLinux && RuntimeFolder(architecture) is not null) return null;
        var os = isLinux ? "Linux" : OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "macOS" : RuntimeInformation.OSDescription;
        return new LocalServerException(
            $"the local sandbox server runs on Linux x64 and arm64 only, not on {os} {architecture}; the cmdlets work here against a hosted endpoint: " +
            "Connect-Sandbox -Endpoint <url> -ApiKey <key>, or set SANDBOX_ENDPOINT and SANDBOX_API_KEY",
            UnsupportedPlatform, SandboxErrorCategory.NotImplemented, target);
    }

    /// <summary>
    /// The first unmet prerequisite as the error to report, or null when the local server can run. Every missing
    /// dependency is named in one message, with the packages that provide it.
    /// </summary>
    /// <param name="isLinux">Whether the OS is Linux.</param>
    /// <param name="architecture">The OS's processor architecture.</param>
    /// <param name="isRoot">Whether this process runs as root (effective uid 0).</param>
    /// <param name="path">The <c>PATH</c> to look for programs on.</param>
    /// <param name="fileExists">How to test for a file.</param>
    /// <param name="target">The data directory or endpoint the error concerns.</param>
    public static LocalServerException? Check(bool isLinux, Architecture architecture, bool isRoot, string? path, Func<string, bool> fileExists, string? target)
    {
        ArgumentNullException.ThrowIfNull(fileExists);
        if (CheckPlatform(isLinux, architecture, target) is { } platform) return platform;
        if (!isRoot)
            return new LocalServerException(
                "the local sandbox server needs root (it mounts filesystems, makes namespaces and cgroups): run pwsh as root " +
                "(sudo pwsh), start the server as root yourself, or connect to a server elsewhere with Connect-Sandbox -Endpoint",
                RequiresRoot, SandboxErrorCategory.PermissionDenied, target);
        var missing = new List<string>();
        var packages = new List<string>();
        foreach (var (program, package) in RequiredPrograms)
        {
            if (FindOnPath(program, path, fileExists) is not null) continue;
            missing.Add($"{program} is not on PATH");
            if (!packages.Contains(package)) packages.Add(package);
        }
        if (!fileExists(SeccompProfilePath))
        {
            missing.Add($"the seccomp profile {SeccompProfilePath} is missing");
            packages.Add("golang-github-containers-common");
        }
        if (missing.Count == 0) return null;
        return new LocalServerException(
            $"the local sandbox server cannot run on this machine: {string.Join("; ", missing)}. On Debian or Ubuntu: apt-get install {string.Join(' ', packages)}",
            MissingDependency, SandboxErrorCategory.ObjectNotFound, target);
    }

    /// <summary>The full path of <paramref name="program"/> in a directory of <paramref name="path"/>, or null.</summary>
    public static string? FindOnPath(string program, string? path, Func<string, bool> fileExists)
    {
        ArgumentNullException.ThrowIfNull(fileExists);
        foreach (var dir in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (fileExists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Gives the bundled server's executables (the apphost <c>Sandbox.Server</c>, <c>sandbox-init</c>, <c>createdump</c>) their
    /// execute bits: NuGet packages, and so Install-PSResource, do not keep file modes. Files already executable are left alone.
    /// </summary>
    /// <param name="serverDirectory">The folder of the server (e.g. <c>{module}/server/linux-x64</c>).</param>
    /// <exception cref="LocalServerException">A file could not be made executable (<c>SandboxServerStartFailed</c>).</exception>
    public static void EnsureExecutable(string serverDirectory)
    {
        if (OperatingSystem.IsWindows()) return;
        foreach (var name in new[] { "Sandbox.Server", "sandbox-init", "createdump" })
        {
            var file = Path.Combine(serverDirectory, name);
            if (!File.Exists(file)) continue;
            try
            {
                var mode = File.GetUnixFileMode(file);
                const UnixFileMode exec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
                if ((mode & exec) != exec) File.SetUnixFileMode(file, mode | exec);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LocalServerException($"could not make {file} executable ({e.Message}); run chmod +x on it as the module's owner",
                    LocalServerException.StartFailed, SandboxErrorCategory.PermissionDenied, file, e);
            }
        }
    }
}
