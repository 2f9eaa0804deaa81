using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>GET /boxes/{name}/metrics: the counters move when the sandbox works.</summary>
[Collection(ServerCollection.Name)]
public sealed class MetricsTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private async Task<(double Cpu, long Memory, long Pids, long Disk)> MetricsAsync(Box box)
    {
        var j = (await S.GetAsync(box.Path + "/metrics")).Expect(200).Json;
        return (j.GetProperty("cpu_seconds").GetDouble(), j.GetProperty("memory_bytes").GetInt64(), j.GetProperty("pids").GetInt64(), j.GetProperty("disk_bytes").GetInt64());
    }

    [Fact]
    public async Task Metrics_move_when_a_sandbox_works()
    {
        await using var box = await Box.CreateAsync(S, tag: "metrics");
        var before = await MetricsAsync(box);
        Assert.True(before.Pids > 0, $"pids {before.Pids}");
        Assert.True(before.Memory > 0, $"memory {before.Memory}");

        // A busy command (about half a second of CPU) that also holds 32 MiB of memory while a process keeps it.
        await box.RunAsync("end=$(( $(date +%s%N) + 500000000 )); while [ $(date +%s%N) -lt $end ]; do :; done");
        await box.RunAsync("nohup sh -c 'head -c 33554432 /dev/zero > /tmp/fill; sleep 600' >/dev/null 2>&1 &");
        await box.RunAsync("dd if=/dev/urandom of=/home/user/blob bs=1M count=4 status=none");
        var after = await Poll.UntilAsync(() => MetricsAsync(box), m => m.Memory >= before.Memory + 16L * 1024 * 1024, TimeSpan.FromSeconds(5), "memory to grow", 100);

        Assert.True(after.Cpu >= before.Cpu + 0.2, $"cpu_seconds {before.Cpu} -> {after.Cpu}");
        Assert.True(after.Pids > before.Pids, $"pids {before.Pids} -> {after.Pids} (the sleeper)");
        Assert.True(after.Disk >= before.Disk + 4L * 1024 * 1024, $"disk_bytes {before.Disk} -> {after.Disk}");
    }

    [Fact]
    public async Task Metrics_of_a_missing_sandbox_is_404_and_a_stopped_one_reports_zero_processes()
    {
        (await S.GetAsync(Api.Box(Names.New("missing")) + "/metrics")).ExpectError(404, "SandboxNotFound");
        await using var box = await Box.CreateAsync(S, tag: "mstop");
        await box.RunAsync("echo data > /home/user/f");
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        var m = await MetricsAsync(box);
        Assert.Equal(0, m.Pids);
        Assert.True(m.Disk > 0);
    }
}
