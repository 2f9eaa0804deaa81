using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class IsolationTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Only_the_sandbox_own_processes_are_visible()
    {
        await using var box = await Box.CreateAsync(S, tag: "pid");
        var pids = (await box.RunAsync("ls /proc | grep -E '^[0-9]+$' | sort -n"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.True(pids.Count is > 0 and < 10, $"expected a handful of processes in the sandbox, saw {pids.Count}: {string.Join(" ", pids)}");
        Assert.DoesNotContain(S.Pid, pids);
        Assert.DoesNotContain(Environment.ProcessId, pids);
        var cmdlines = await box.RunAsync("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done");
        Assert.DoesNotContain("Sandbox.Server", cmdlines);
        Assert.DoesNotContain("testhost", cmdlines);
        var ps = await box.RunAsync("ps -eo pid,args");
        Assert.DoesNotContain("Sandbox.Server", ps);
        Assert.DoesNotContain("testhost", ps);
        // The host sees many more processes than that.
        Assert.True(Directory.GetDirectories("/proc").Count(d => int.TryParse(Path.GetFileName(d), out _)) > pids.Count + 5);
        var kill = await box.ExecAsync($"kill -0 {S.Pid}");
        Assert.NotEqual(0, kill.ExitCode);
    }

    [Fact]
    public async Task Data_dir_and_api_key_are_not_readable()
    {
        var marker = Path.Combine(S.DataDir, "host-marker-" + Guid.NewGuid().ToString("N")[..8]);
        await File.WriteAllTextAsync(marker, "host-secret-" + Guid.NewGuid());
        try
        {
            await using var box = await Box.CreateAsync(S, tag: "datadir");
            var r = await box.ExecAsync($"ls -la {S.DataDir}; cat {S.DataDir}/api-key; cat {marker}; ls {S.DataDir}/boxes; cat /proc/1/root{S.DataDir}/api-key; cat /proc/self/root{S.DataDir}/api-key");
            var all = r.Stdout + r.Stderr;
            Assert.DoesNotContain(S.ApiKey, all);
            Assert.DoesNotContain(File.ReadAllText(marker), all);
            Assert.DoesNotContain("state.db", all);
            Assert.DoesNotContain(box.Id, all);
            // The server's own files are not reachable through its process either.
            var viaProc = await box.ExecAsync($"cat /proc/{S.Pid}/root{S.DataDir}/api-key; cat /proc/{S.Pid}/environ");
            Assert.DoesNotContain(S.ApiKey, viaProc.Stdout + viaProc.Stderr);
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Writes_to_etc_stay_in_the_sandbox()
    {
        Assert.False(File.Exists("/etc/sandbox-probe"), "the host already has /etc/sandbox-probe; remove it first");
        await using var box = await Box.CreateAsync(S, tag: "etc");
        try
        {
            var r = await box.ExecAsync("echo probe > /etc/sandbox-probe && cat /etc/sandbox-probe");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("probe", r.Out);
            Assert.False(File.Exists("/etc/sandbox-probe"), "the sandbox wrote the host's /etc");
            // Writes elsewhere in the host tree are contained too, and another sandbox does not see them.
            await box.RunAsync("echo x > /usr/sandbox-probe-usr; rm -f /etc/hostname.sbx-none");
            Assert.False(File.Exists("/usr/sandbox-probe-usr"));
            await using var other = await Box.CreateAsync(S, tag: "etc2");
            Assert.Equal("absent", (await other.RunAsync("[ -e /etc/sandbox-probe ] && echo present || echo absent")).Trim());
        }
        finally
        {
            if (File.Exists("/usr/sandbox-probe-usr")) File.Delete("/usr/sandbox-probe-usr");
            if (File.Exists("/etc/sandbox-probe")) File.Delete("/etc/sandbox-probe");
        }
    }

    [Fact]
    public async Task Deleting_image_files_stays_in_the_sandbox()
    {
        // The host's /etc is not in the image at all (EscapeTests); the image's own files are deleted in the sandbox only.
        var hostFile = "/etc/sbt-keep-" + Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllTextAsync(hostFile, "host");
        try
        {
            await using var box = await Box.CreateAsync(S, tag: "rm");
            var r = await box.ExecAsync($"[ -e {hostFile} ] && echo visible || echo invisible; cat /etc/hosts > /dev/null && rm -f /etc/hosts; [ -e /etc/hosts ] && echo still || echo gone");
            Assert.Equal("invisible\ngone", r.Out);
            Assert.Equal("host", await File.ReadAllTextAsync(hostFile));
            await using var other = await Box.CreateAsync(S, tag: "rm2");
            Assert.Equal("present", (await other.RunAsync("[ -e /etc/hosts ] && echo present || echo absent")).Trim());
        }
        finally
        {
            File.Delete(hostFile);
        }
    }

    [Fact]
    public async Task Network_has_only_loopback()
    {
        await using var box = await Box.CreateAsync(S, tag: "net");
        var links = (await box.RunAsync("ip -o link show | cut -d: -f2 | tr -d ' '")).Trim();
        Assert.Equal("lo", links);
        var dev = await box.RunAsync("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
        Assert.Equal("lo", dev.Trim());
        // The server's loopback port is not the sandbox's loopback: it cannot reach the API.
        var r = await box.ExecAsync($"timeout 5 bash -c 'echo > /dev/tcp/127.0.0.1/{S.Port}' && echo reached || echo refused");
        Assert.Equal("refused", r.Out.Split('\n').Last());
    }

    [Fact]
    public async Task Sandboxes_do_not_see_each_other()
    {
        await using var a = await Box.CreateAsync(S, tag: "iso-a");
        await using var b = await Box.CreateAsync(S, tag: "iso-b");
        await a.RunAsync("echo a-only > /home/user/a.txt; echo a-tmp > /tmp/a.txt");
        Assert.Equal("none", (await b.RunAsync("cat /home/user/a.txt /tmp/a.txt 2>/dev/null || echo none")).Trim());
        await using var ws = await WsExec.ConnectAsync(S, a.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("exec sleep 31337", 30));
        Assert.Equal("started", (await ws.ReceiveAsync(TimeSpan.FromSeconds(20)))!.Value.Str("type"));
        var ps = await b.RunAsync("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done");
        Assert.DoesNotContain("sleep 31337", ps);
        await ws.SendAsync(new JsonObject { ["type"] = "kill" });
        await ws.ReceiveOutputAsync(TimeSpan.FromSeconds(10));
    }
}
