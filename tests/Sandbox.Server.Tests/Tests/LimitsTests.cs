using System.Diagnostics;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class LimitsTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private async Task AssertServerHealthyAsync()
    {
        Assert.True(S.IsRunning, "the server process died");
        (await Api.SendAsync(S.Anonymous, HttpMethod.Get, "healthz")).Expect(200);
    }

    [Fact]
    public async Task Memory_hog_is_killed_while_the_server_and_other_sandboxes_carry_on()
    {
        await using var hog = await Box.CreateAsync(S, template: "python", tag: "hog", extra: new JsonObject { ["mem_bytes"] = 128L << 20 });
        await using var other = await Box.CreateAsync(S, tag: "bystander");
        var memDir = HostProbe.CgroupDir(hog.Id, "memory");
        Assert.Equal(128L << 20, long.Parse(HostProbe.ReadCgroupFile(memDir, "memory.limit_in_bytes")));

        // 1 GiB actually written, in a sandbox limited to 128 MiB. "; exit $?" keeps bash as the parent so the
        // exit code is the shell's 128+SIGKILL.
        var hogTask = hog.ExecAsync("python3 -c \"x = b'a' * (1 << 30); print('survived', len(x))\"; exit $?", timeout: 120);
        Assert.Equal("alive", (await other.RunAsync("echo alive")).Trim());
        await AssertServerHealthyAsync();

        var r = await hogTask;
        Assert.DoesNotContain("survived", r.Stdout);
        Assert.Equal(137, r.ExitCode);
        var oom = HostProbe.ReadCgroupFile(memDir, "memory.oom_control");
        var kills = oom.Split('\n').FirstOrDefault(l => l.StartsWith("oom_kill "));
        if (kills is not null) Assert.True(long.Parse(kills.Split(' ')[1]) >= 1, $"no OOM kill recorded in the sandbox's cgroup: {oom}");
        Assert.True(long.Parse(HostProbe.ReadCgroupFile(memDir, "memory.max_usage_in_bytes")) <= 128L << 20);

        await AssertServerHealthyAsync();
        Assert.Equal("alive", (await other.RunAsync("echo alive")).Trim());
        Assert.Equal("still here", (await hog.RunAsync("echo still here")).Trim());
        Assert.Equal("ready", await S.StatusOfAsync(hog.Name));

        // The shell variant: a pipeline buffering 2 GiB.
        var pipe = await hog.ExecAsync("head -c 2G /dev/zero | tail > /dev/null; exit $?", timeout: 120);
        Assert.Equal(137, pipe.ExitCode);
        Assert.Equal("ok", (await hog.RunAsync("echo ok")).Trim());
    }

    [Fact]
    public async Task Fork_bomb_is_stopped_by_the_pids_limit()
    {
        await using var bomb = await Box.CreateAsync(S, tag: "bomb", extra: new JsonObject { ["vcpus"] = 1 });
        await using var other = await Box.CreateAsync(S, tag: "bystander2");
        var pidsDir = HostProbe.CgroupDir(bomb.Id, "pids");
        var pidsMax = int.Parse(HostProbe.ReadCgroupFile(pidsDir, "pids.max"));
        Assert.InRange(pidsMax, 16, 65536);

        // Each function call forks a pipeline in the background and waits for it: grows until fork fails.
        var watch = Stopwatch.StartNew();
        var bombTask = bomb.ExecRawAsync("bomb() { bomb | bomb & wait; }; bomb", timeout: 10);

        // While it rages: the limit holds, the server answers, the other sandbox works.
        var peak = 0;
        var hitLimit = await Poll.UntilAsync(() =>
        {
            var current = int.Parse(HostProbe.ReadCgroupFile(pidsDir, "pids.current"));
            peak = Math.Max(peak, current);
            var events = HostProbe.ReadCgroupFile(pidsDir, "pids.events");
            return Task.FromResult(long.Parse(events.Split(' ')[1]));
        }, n => n > 0, TimeSpan.FromSeconds(8), "the pids limit to refuse a fork (pids.events max > 0)", intervalMs: 50);
        Assert.True(peak <= pidsMax, $"pids.current {peak} exceeded pids.max {pidsMax}");
        await AssertServerHealthyAsync();
        var otherWatch = Stopwatch.StartNew();
        Assert.Equal("alive", (await other.RunAsync("echo alive")).Trim());
        Assert.True(otherWatch.Elapsed < TimeSpan.FromSeconds(10), $"the other sandbox took {otherWatch.Elapsed} to run echo during the fork bomb");
        (await S.GetAsync(Api.Boxes)).Expect(200);

        var r = await bombTask;
        Assert.True(r.Code is 200 or 408, $"fork bomb exec: {r}");
        if (r.Code == 408) Assert.Equal("CommandTimeout", r.ErrorType);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(40), $"fork bomb exec took {watch.Elapsed}");

        // Afterwards the hit sandbox recovers on its own.
        var after = await Poll.UntilAsync(async () =>
        {
            var e = await bomb.ExecRawAsync("echo recovered", timeout: 10);
            return e.Code == 200 ? e.Json.Str("stdout").Trim() : e.ToString();
        }, s => s == "recovered", TimeSpan.FromSeconds(30), "the fork-bombed sandbox to run commands again", intervalMs: 1000);
        Assert.Equal("recovered", after);
        await Poll.UntilAsync(() => HostProbe.Procs(pidsDir).Count < 10, TimeSpan.FromSeconds(20), "the bomb's processes to be gone");
        await AssertServerHealthyAsync();
        Assert.Equal("alive", (await other.RunAsync("echo alive")).Trim());
    }
}
