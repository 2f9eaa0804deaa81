using System.Diagnostics;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// One test per escape or leak an attacker found from inside sandboxes (shared/reference/isolation-findings.md,
/// "Escapes and leaks"), each driven the way the attacker did: commands through the dataplane, checks on the host.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class EscapeTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    /// <summary>Finding 1: /proc/sys was writable, and kernel.core_pattern ran a sandbox's script as host root.</summary>
    [Fact]
    public async Task Kernel_parameters_cannot_be_written_by_command_or_upload()
    {
        var before = await File.ReadAllTextAsync("/proc/sys/kernel/core_pattern");
        await using var box = await Box.CreateAsync(S, tag: "corepat");
        // Writes the value back unchanged (as the attacker's probe did), so that a vulnerable server alters nothing.
        var r = await box.ExecAsync("v=$(cat /proc/sys/kernel/core_pattern); echo \"$v\" > /proc/sys/kernel/core_pattern && echo WRITABLE; [ -w /proc/sysrq-trigger ] && echo WRITABLE2; true");
        Assert.DoesNotContain("WRITABLE", r.Stdout);
        Assert.Contains("Read-only file system", r.Stderr);
        var upload = await box.UploadAsync("/proc/sys/kernel/core_pattern", System.Text.Encoding.UTF8.GetBytes(before));
        Assert.InRange(upload.Code, 400, 499);
        Assert.Equal(before, await File.ReadAllTextAsync("/proc/sys/kernel/core_pattern"));
    }

    /// <summary>Finding 2: a setuid binary written inside gave any host user euid 0.</summary>
    [Fact]
    public async Task A_setuid_binary_made_inside_is_useless_on_the_host()
    {
        await using var box = await Box.CreateAsync(S, tag: "suid");
        await box.RunAsync("cp /bin/bash /home/user/s && chmod 4755 /home/user/s && ls -ln /home/user/s");
        var hostPath = FindInBox(box.Id, "home/user/s");
        Assert.NotNull(hostPath);
        var owner = await Host("stat", "-c", "%u", hostPath!);
        Assert.Equal("100000", owner.Out.Trim()); // the sandbox's root is host uid 100000, never 0
        // The filesystem holding it is nosuid, and a host user cannot even reach it.
        var mount = await Host("findmnt", "-n", "-o", "OPTIONS", "--target", hostPath!);
        Assert.Contains("nosuid", mount.Out);
        var asNobody = await Host("runuser", "-u", "nobody", "--", hostPath!, "-p", "-c", "id -u");
        Assert.NotEqual(0, asNobody.Code);
        Assert.DoesNotContain("\n0\n", "\n" + asNobody.Out);
    }

    /// <summary>Finding 3: the host image showed the host's /, with /etc/shadow and other servers' keys.</summary>
    [Fact]
    public async Task Host_secrets_and_paths_are_not_visible()
    {
        var marker = "/root/sbx-secret-" + Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllTextAsync(marker, "secret");
        try
        {
            await using var box = await Box.CreateAsync(S, template: "python", tag: "secrets");
            var r = await box.ExecAsync($"cat /etc/shadow; cat {marker}; ls /var/lib /home /root /work /opt; cat /proc/self/mountinfo");
            var all = r.Stdout + r.Stderr;
            Assert.DoesNotContain("secret", r.Stdout);
            Assert.DoesNotContain("root:", r.Stdout.Split('\n').Where(l => l.Contains("$")).FirstOrDefault() ?? "");
            Assert.Contains("No such file", all); // /etc/shadow
            Assert.DoesNotContain(S.DataDir, all);
            Assert.DoesNotContain(box.Id, all);
            Assert.DoesNotContain("upperdir=/var", all);
            // What the built-in image has: python3 and bash, from the host's /usr mounted read-only.
            Assert.Equal(0, (await box.ExecAsync("python3 -c 'print(1)' && bash -c true && ls /bin/ls")).ExitCode);
            var usr = await box.ExecAsync("touch /usr/sbx-probe");
            Assert.NotEqual(0, usr.ExitCode);
            Assert.False(File.Exists("/usr/sbx-probe"));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    /// <summary>Finding 4: state.db and upper layers were world-readable.</summary>
    [Fact]
    public async Task State_keys_and_sandbox_files_are_root_only_on_the_host()
    {
        await using var box = await Box.CreateAsync(S, tag: "perm");
        await box.RunAsync("echo private > /home/user/p.txt");
        Assert.Equal("710", Mode(S.DataDir));
        foreach (var f in new[] { "state.db", "state.db-wal", "api-key" })
            if (File.Exists(Path.Combine(S.DataDir, f))) Assert.Equal("600", Mode(Path.Combine(S.DataDir, f)));
        Assert.Equal("710", Mode(Path.Combine(S.DataDir, "boxes", box.Id)));
        foreach (var path in new[] { Path.Combine(S.DataDir, "state.db"), Path.Combine(S.DataDir, "api-key"), FindInBox(box.Id, "home/user/p.txt")! })
        {
            var read = await Host("runuser", "-u", "nobody", "--", "cat", path);
            Assert.NotEqual(0, read.Code);
            Assert.Contains("Permission denied", read.Err);
        }
    }

    /// <summary>Finding 5: keyrings were shared between sandboxes and with the host.</summary>
    [Fact]
    public async Task Keyrings_are_out_of_reach()
    {
        await using var a = await Box.CreateAsync(S, template: "python", tag: "key-a");
        await using var b = await Box.CreateAsync(S, template: "python", tag: "key-b");
        // add_key and keyctl are denied by the seccomp filter (EPERM), so nothing can be added nor read.
        var add = await a.ExecAsync(Python("""
            import ctypes, os, platform
            libc = ctypes.CDLL(None, use_errno=True)
            nr = {"x86_64": 248, "aarch64": 217}[platform.machine()]
            r = libc.syscall(nr, b"user", b"sbx-key", b"v", 1, ctypes.c_int(-3))
            print(r, os.strerror(ctypes.get_errno()))
            """));
        Assert.Equal("-1 Operation not permitted", add.Out);
        var show = await b.ExecAsync(Python("""
            import ctypes, os, platform
            libc = ctypes.CDLL(None, use_errno=True)
            nr = {"x86_64": 250, "aarch64": 219}[platform.machine()]
            r = libc.syscall(nr, 0, ctypes.c_int(-3), 0)
            print(r, os.strerror(ctypes.get_errno()))
            """));
        Assert.Equal("-1 Operation not permitted", show.Out);
    }

    /// <summary>Finding 6: per-uid kernel limits were shared with host root (inotify instances).</summary>
    [Fact]
    public async Task Inotify_instances_of_a_sandbox_do_not_count_against_host_root()
    {
        await using var box = await Box.CreateAsync(S, template: "python", tag: "inotify");
        var max = int.Parse(File.ReadAllText("/proc/sys/fs/inotify/max_user_instances").Trim());
        // Hold as many instances as the kernel lets one user have, in the background.
        await box.RunAsync("nohup python3 -c \"import ctypes,time; libc=ctypes.CDLL(None); fds=[libc.inotify_init() for _ in range(" + max + ")]; open('/tmp/held','w').write(str(sum(1 for f in fds if f>=0))); time.sleep(60)\" >/dev/null 2>&1 & sleep 1; cat /tmp/held");
        var held = int.Parse((await box.RunAsync("cat /tmp/held")).Trim());
        Assert.True(held > max / 2, $"the sandbox held only {held} inotify instances");
        // Host root can still make one.
        var host = await Host("python3", "-c", "import ctypes; print(ctypes.CDLL(None).inotify_init())");
        Assert.True(int.Parse(host.Out.Trim()) >= 0, $"host root could not create an inotify instance while the sandbox held {held}: {host.Out}");
    }

    /// <summary>Finding 7: the host's /dev/null could be altered from inside.</summary>
    [Fact]
    public async Task Host_device_nodes_cannot_be_altered()
    {
        var before = await Host("stat", "-c", "%a %Y %u", "/dev/null");
        await using var box = await Box.CreateAsync(S, tag: "devnull");
        try
        {
            var r = await box.ExecAsync("touch -d 2001-01-01 /dev/null; chmod 600 /dev/null; echo done");
            Assert.Equal("done", r.Out);
            Assert.Equal(before.Out, (await Host("stat", "-c", "%a %Y %u", "/dev/null")).Out);
        }
        finally
        {
            // A server that let it happen must not leave the host's /dev/null unusable for everyone else.
            File.SetUnixFileMode("/dev/null", (UnixFileMode)Convert.ToInt32("666", 8));
        }
        // Only the devices runc allows exist; no host disk is reachable.
        var devices = await box.RunAsync("ls /dev");
        Assert.DoesNotContain("vda", devices);
        Assert.DoesNotContain("loop", devices);
    }

    /// <summary>Finding 8: the sandbox's pid 1 could be ptraced and its control socket taken.</summary>
    [Fact]
    public async Task Pid_1_cannot_be_ptraced_nor_its_descriptors_taken()
    {
        await using var box = await Box.CreateAsync(S, template: "python", tag: "ptrace");
        var r = await box.ExecAsync(Python("""
            import ctypes, os, platform
            libc = ctypes.CDLL(None, use_errno=True)
            print("attach", libc.ptrace(16, 1, 0, 0), os.strerror(ctypes.get_errno()))
            pidfd = libc.syscall(434, 1, 0)  # pidfd_open (same number on x86_64 and aarch64)
            print("getfd", libc.syscall(438, pidfd, 3, 0), os.strerror(ctypes.get_errno()))
            for p in ["/proc/1/fd/3", "/proc/1/environ", "/proc/1/mem"]:
                try:
                    open(p, "rb").read(1); print("opened", p)
                except OSError as e:
                    print("denied", p)
            """));
        Assert.Contains("attach -1 Operation not permitted", r.Stdout);
        Assert.Contains("getfd -1 Operation not permitted", r.Stdout);
        Assert.DoesNotContain("opened", r.Stdout);
        // The sandbox still works: its init was left alone.
        Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
    }

    /// <summary>Finding 10: writes to /proc/1/fd/1 appended to a host file.</summary>
    [Fact]
    public async Task Writes_to_init_stdout_do_not_reach_the_host()
    {
        await using var box = await Box.CreateAsync(S, tag: "initout");
        var log = Path.Combine(S.DataDir, "boxes", box.Id, "log");
        var before = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
        await box.ExecAsync("echo sbx-injected > /proc/1/fd/1; echo sbx-injected > /proc/1/fd/2");
        var after = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
        Assert.Equal(before, after);
        Assert.DoesNotContain("sbx-injected", after);
    }

    /// <summary>The runtime defaults behind those: user namespace, no capabilities, no new privileges, seccomp, masks.</summary>
    [Fact]
    public async Task Commands_run_as_mapped_root_without_capabilities_under_seccomp()
    {
        await using var box = await Box.CreateAsync(S, tag: "defaults");
        var status = await box.RunAsync("grep -E '^(Uid|CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status");
        Assert.Matches(@"Uid:\s+0\s+0\s+0\s+0", status);
        Assert.Matches(@"CapEff:\s+0000000000000000", status);
        Assert.Matches(@"CapBnd:\s+0000000000000000", status);
        Assert.Matches(@"NoNewPrivs:\s+1", status);
        Assert.Matches(@"Seccomp:\s+2", status);
        Assert.Equal("0 100000 65536", System.Text.RegularExpressions.Regex.Replace((await box.RunAsync("cat /proc/self/uid_map")).Trim(), @"\s+", " "));
        // Denied by seccomp or the missing capabilities, whichever comes first: never allowed.
        foreach (var attempt in new[] { "unshare -U true", "unshare -m true", "mount -t tmpfs none /mnt", "hostname evil" })
        {
            var r = await box.ExecAsync(attempt);
            Assert.True(r.ExitCode != 0, $"'{attempt}' succeeded inside a sandbox");
        }
        // Masked: empty or absent.
        var masked = await box.ExecAsync("cat /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug 2>/dev/null | wc -c; ls /sys/firmware | wc -l");
        Assert.Equal("0\n0", masked.Out);
        var files = await box.RunAsync("echo x > /home/user/mine; ls -ln /home/user/mine | awk '{print $3}'");
        Assert.Equal("0", files.Trim());
        Assert.Equal("100000", (await Host("stat", "-c", "%u", FindInBox(box.Id, "home/user/mine")!)).Out.Trim());
    }

    /// <summary>fs_capacity_bytes was recorded, not enforced: 2 GiB written with 128 MiB set.</summary>
    [Fact]
    public async Task Writing_past_the_capacity_fails_with_enospc_and_df_shows_it()
    {
        await using var small = await Box.CreateAsync(S, tag: "cap", extra: new JsonObject { ["fs_capacity_bytes"] = 128L << 20 });
        await using var other = await Box.CreateAsync(S, tag: "cap-other");
        var df = await small.RunAsync("df -B1 --output=size / | tail -1");
        Assert.InRange(long.Parse(df.Trim()), 100L << 20, 128L << 20);
        var r = await small.ExecAsync("dd if=/dev/zero of=/home/user/big bs=1M count=300 2>&1; sync");
        Assert.Contains("No space left on device", r.Stdout + r.Stderr);
        var used = long.Parse((await small.RunAsync("stat -c %s /home/user/big")).Trim());
        Assert.True(used <= 128L << 20, $"wrote {used} bytes with 128 MiB capacity");
        // The server and other sandboxes carry on.
        Assert.Equal("ok", (await other.RunAsync("head -c 10M /dev/zero > /home/user/f && echo ok")).Trim());
        Assert.Equal("ok", (await small.RunAsync("rm /home/user/big && echo ok")).Trim());
    }

    /// <summary>
    /// A fork bomb outlived its command (pids capped, good, but it ran until the sandbox was stopped). A command that
    /// times out now ends with every process of its session; one that ends by itself leaves its background jobs be.
    /// </summary>
    [Fact]
    public async Task A_fork_bomb_dies_with_its_command_timeout()
    {
        await using var box = await Box.CreateAsync(S, tag: "forkbomb");
        var pids = HostProbe.CgroupDir(box.Id, "pids");
        var bomb = await box.ExecRawAsync("b(){ b | b & }; b; sleep 30", timeout: 3);
        Assert.True(bomb.Code is 200 or 408 or 503, bomb.ToString());
        var deadline = Stopwatch.StartNew();
        int current;
        while ((current = int.Parse(HostProbe.ReadCgroupFile(pids, "pids.current"))) > 10 && deadline.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(200);
        Assert.True(current <= 10, $"{current} processes left 20 s after the fork bomb's command timed out");
        Assert.Equal("alive", (await box.RunAsync("echo alive")).Trim());
    }

    private static string Python(string code) => "python3 - <<'PY'\n" + code + "\nPY";

    private string? FindInBox(string id, string relative)
    {
        var path = Path.Combine(S.DataDir, "boxes", id, "fs", "upper", relative);
        return File.Exists(path) ? path : null;
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path) & 0x1ff, 8);

    private sealed record HostResult(int Code, string Out, string Err);

    private static async Task<HostResult> Host(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new HostResult(p.ExitCode, output, await err);
    }
}
