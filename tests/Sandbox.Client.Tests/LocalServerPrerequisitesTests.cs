using System.Runtime.InteropServices;
using Sandbox.Client.ModuleSupport;

namespace Sandbox.Client.Tests;

/// <summary>
/// What the module checks before it launches the local server (<see cref="LocalServerPrerequisites"/>), with the machine
/// described by the arguments, and the execute bits it restores on an installed package's server.
/// </summary>
public sealed class LocalServerPrerequisitesTests
{
    private const string Path = "/usr/local/bin:/usr/bin";
    private static readonly HashSet<string> Complete =
        ["/usr/bin/runc", "/usr/bin/mkfs.ext4", "/usr/bin/losetup", "/usr/bin/ip", "/usr/bin/nft", LocalServerPrerequisites.SeccompProfilePath];

    [Theory]
    [InlineData(false, Architecture.X64)]
    [InlineData(false, Architecture.Arm64)]
    [InlineData(true, Architecture.X86)]
    [InlineData(true, Architecture.Arm)]
    public void Another_OS_or_processor_is_SandboxServerUnsupportedPlatform_and_points_at_hosted_endpoints(bool linux, Architecture arch)
    {
        var e = LocalServerPrerequisites.Check(linux, arch, isRoot: true, Path, Complete.Contains, "/data");
        Assert.NotNull(e);
        Assert.Equal(LocalServerPrerequisites.UnsupportedPlatform, e!.ErrorId);
        Assert.Equal(SandboxErrorCategory.NotImplemented, e.CategoryName);
        Assert.Contains("Connect-Sandbox -Endpoint", e.Message);
        Assert.Equal("/data", e.TargetName);
    }

    [Fact]
    public void A_user_who_is_not_root_gets_SandboxServerRequiresRoot_before_anything_starts()
    {
        var e = LocalServerPrerequisites.Check(true, Architecture.X64, isRoot: false, Path, Complete.Contains, "/data");
        Assert.Equal(LocalServerPrerequisites.RequiresRoot, e?.ErrorId);
        Assert.Equal(SandboxErrorCategory.PermissionDenied, e!.CategoryName);
    }

    [Fact]
    public void Missing_runc_and_seccomp_profile_are_named_with_their_packages()
    {
        var none = LocalServerPrerequisites.Check(true, Architecture.X64, isRoot: true, Path, _ => false, "/data");
        Assert.Equal(LocalServerPrerequisites.MissingDependency, none?.ErrorId);
        Assert.Equal(SandboxErrorCategory.ObjectNotFound, none!.CategoryName);
        Assert.Contains("runc is not on PATH", none.Message);
        Assert.Contains(LocalServerPrerequisites.SeccompProfilePath, none.Message);
        Assert.Contains("mkfs.ext4 is not on PATH", none.Message);
        Assert.Contains("nft is not on PATH", none.Message);
        Assert.Contains("apt-get install runc e2fsprogs mount iproute2 nftables golang-github-containers-common", none.Message);

        var noProfile = LocalServerPrerequisites.Check(true, Architecture.Arm64, isRoot: true, Path, f => f != LocalServerPrerequisites.SeccompProfilePath && Complete.Contains(f), null);
        Assert.Equal(LocalServerPrerequisites.MissingDependency, noProfile?.ErrorId);
        Assert.DoesNotContain("runc is not on PATH", noProfile!.Message);
        Assert.Contains("apt-get install golang-github-containers-common", noProfile.Message);

        // runc only counts on PATH: elsewhere on disk it is not found.
        var offPath = LocalServerPrerequisites.Check(true, Architecture.X64, isRoot: true, "/opt/none", Complete.Contains, null);
        Assert.Contains("runc is not on PATH", offPath?.Message);
    }

    [Fact]
    public void A_complete_machine_passes()
    {
        Assert.Null(LocalServerPrerequisites.Check(true, Architecture.X64, isRoot: true, Path, Complete.Contains, null));
        Assert.Null(LocalServerPrerequisites.Check(true, Architecture.Arm64, isRoot: true, Path, Complete.Contains, null));
    }

    [Fact]
    public void The_runtime_folders_are_the_packaged_ones()
    {
        Assert.Equal("linux-x64", LocalServerPrerequisites.RuntimeFolder(Architecture.X64));
        Assert.Equal("linux-arm64", LocalServerPrerequisites.RuntimeFolder(Architecture.Arm64));
        Assert.Null(LocalServerPrerequisites.RuntimeFolder(Architecture.X86));
    }

    [Fact]
    public void Execute_bits_lost_by_the_package_are_restored()
    {
        var dir = Directory.CreateTempSubdirectory("prereq-").FullName;
        try
        {
            const UnixFileMode plain = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            foreach (var name in new[] { "Sandbox.Server", "sandbox-init", "libcoreclr.so" })
            {
                File.WriteAllText(System.IO.Path.Combine(dir, name), "x");
                File.SetUnixFileMode(System.IO.Path.Combine(dir, name), plain);
            }
            LocalServerPrerequisites.EnsureExecutable(dir);
            foreach (var name in new[] { "Sandbox.Server", "sandbox-init" })
                Assert.Equal(plain | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute, File.GetUnixFileMode(System.IO.Path.Combine(dir, name)));
            Assert.Equal(plain, File.GetUnixFileMode(System.IO.Path.Combine(dir, "libcoreclr.so"))); // only the executables
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_self_contained_server_for_this_processor_is_found_before_a_dll()
    {
        var module = Directory.CreateTempSubdirectory("locator-").FullName;
        try
        {
            var rid = LocalServerPrerequisites.RuntimeFolder(RuntimeInformation.OSArchitecture)!;
            var none = SandboxEnvironment.FromVariables(new Dictionary<string, string>());
            Directory.CreateDirectory(System.IO.Path.Combine(module, "server", rid));
            var dll = System.IO.Path.Combine(module, "server", LocalServerLocator.ServerFileName);
            File.WriteAllText(dll, "");
            Assert.Equal(dll, LocalServerLocator.FindServer(module, none));
            var exe = System.IO.Path.Combine(module, "server", rid, LocalServerLocator.ServerExecutableName);
            File.WriteAllText(exe, "");
            Assert.Equal(exe, LocalServerLocator.FindServer(module, none));
            Assert.False(LocalServerLocator.NeedsDotnetHost(exe));
            Assert.True(LocalServerLocator.NeedsDotnetHost(dll));
        }
        finally
        {
            Directory.Delete(module, recursive: true);
        }
    }
}
