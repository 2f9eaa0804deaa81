using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class RuntimeTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Hostname_is_the_sandbox_name()
    {
        await using var box = await Box.CreateAsync(S, tag: "host");
        Assert.Equal(box.Name, (await box.RunAsync("cat /proc/sys/kernel/hostname")).Trim());
        Assert.Equal(box.Name, (await box.RunAsync("hostname")).Trim());
        Assert.NotEqual(Environment.MachineName, box.Name);
    }

    [Fact]
    public async Task Working_directory_is_home_user()
    {
        await using var box = await Box.CreateAsync(S, tag: "cwd");
        Assert.Equal("/home/user", (await box.RunAsync("pwd")).Trim());
    }

    [Fact]
    public async Task Vcpus_and_mem_bytes_land_in_the_cgroup()
    {
        const long mem = 192L << 20;
        await using var box = await Box.CreateAsync(S, tag: "cg", extra: new JsonObject { ["vcpus"] = 2, ["mem_bytes"] = mem });
        var memDir = HostProbe.CgroupDir(box.Id, "memory");
        Assert.Equal(mem, long.Parse(HostProbe.ReadCgroupFile(memDir, "memory.limit_in_bytes")));
        var cpuDir = HostProbe.CgroupDir(box.Id, "cpu");
        var quota = long.Parse(HostProbe.ReadCgroupFile(cpuDir, "cpu.cfs_quota_us"));
        var period = long.Parse(HostProbe.ReadCgroupFile(cpuDir, "cpu.cfs_period_us"));
        Assert.Equal(2 * period, quota);
        var pidsDir = HostProbe.CgroupDir(box.Id, "pids");
        var pidsMax = HostProbe.ReadCgroupFile(pidsDir, "pids.max");
        Assert.True(int.TryParse(pidsMax, out var pm) && pm is > 0 and <= 65536, $"pids.max is not a finite limit: {pidsMax}");

        // A different sandbox gets its own numbers (the values really come from the request).
        await using var other = await Box.CreateAsync(S, tag: "cg2", extra: new JsonObject { ["vcpus"] = 1, ["mem_bytes"] = 96L << 20 });
        Assert.Equal(96L << 20, long.Parse(HostProbe.ReadCgroupFile(HostProbe.CgroupDir(other.Id, "memory"), "memory.limit_in_bytes")));
        var otherCpu = HostProbe.CgroupDir(other.Id, "cpu");
        Assert.Equal(long.Parse(HostProbe.ReadCgroupFile(otherCpu, "cpu.cfs_period_us")), long.Parse(HostProbe.ReadCgroupFile(otherCpu, "cpu.cfs_quota_us")));
    }

    [Fact]
    public async Task Template_resources_apply_when_the_request_has_none()
    {
        var tpl = Names.New("restpl");
        (await S.PostAsync(Api.Templates, new JsonObject
        {
            ["name"] = tpl, ["image"] = "host", ["resources"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "160Mi" },
        })).Expect(201);
        try
        {
            await using var box = await Box.CreateAsync(S, template: tpl, tag: "restpl");
            Assert.Equal(160L << 20, long.Parse(HostProbe.ReadCgroupFile(HostProbe.CgroupDir(box.Id, "memory"), "memory.limit_in_bytes")));
            var cpuDir = HostProbe.CgroupDir(box.Id, "cpu");
            Assert.Equal(long.Parse(HostProbe.ReadCgroupFile(cpuDir, "cpu.cfs_period_us")) / 2, long.Parse(HostProbe.ReadCgroupFile(cpuDir, "cpu.cfs_quota_us")));
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{tpl}");
        }
    }

    [Fact]
    public async Task Commands_run_inside_the_sandbox_cgroups()
    {
        await using var box = await Box.CreateAsync(S, tag: "cgcmd");
        var marker = Random.Shared.Next(100000, 999999).ToString();
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute($"exec sleep {marker}", 60));
        var started = await ws.ReceiveAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("started", started!.Value.Str("type"));
        foreach (var controller in new[] { "memory", "cpu", "pids" })
        {
            var dir = HostProbe.CgroupDir(box.Id, controller);
            await Poll.UntilAsync(() => HostProbe.Procs(dir).Any(p => HostProbe.CmdLine(p) == $"sleep {marker}"), TimeSpan.FromSeconds(5),
                $"'sleep {marker}' in {dir}/cgroup.procs");
        }
        await ws.SendAsync(new JsonObject { ["type"] = "kill" });
        await ws.ReceiveOutputAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Capabilities_are_dropped()
    {
        await using var box = await Box.CreateAsync(S, tag: "caps");
        var status = await box.RunAsync("cat /proc/self/status");
        string Cap(string name) => status.Split('\n').Single(l => l.StartsWith(name + ":")).Split(':')[1].Trim();
        Assert.Equal("0000000000000000", Cap("CapEff"));
        Assert.Equal("0000000000000000", Cap("CapPrm"));
        // And so a privileged operation fails.
        var mount = await box.ExecAsync("mount -t tmpfs none /mnt");
        Assert.NotEqual(0, mount.ExitCode);
    }
}
