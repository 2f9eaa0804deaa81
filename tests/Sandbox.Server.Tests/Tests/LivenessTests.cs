using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Liveness: a sandbox whose init dies (killed from the host) is reported <c>failed</c> within seconds and <c>/start</c>
/// boots it again over the same files; a paused (frozen) sandbox is never taken for dead.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LivenessTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    /// <summary>The host pid of the sandbox's init: the process of its cgroup that is pid 1 of its own pid namespace.</summary>
    internal static int? InitPid(string id)
    {
        foreach (var pid in HostProbe.CgroupDirs(id, "pids").SelectMany(HostProbe.Procs))
        {
            try
            {
                var nspid = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
                var ids = nspid?["NSpid:".Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries) ?? [];
                if (ids.Length >= 2 && ids[^1] == "1") return pid;
            }
            catch (IOException)
            {
            }
        }
        return null;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    [Fact]
    public async Task Init_killed_from_the_host_is_failed_within_5_s_and_start_boots_it_again()
    {
        await using var box = await Box.CreateAsync(S, tag: "init-kill");
        await box.RunAsync("echo before-the-kill > /home/user/kept.txt");
        var init = InitPid(box.Id);
        Assert.True(init is not null, $"no pid-1 process in the sandbox's cgroup: {string.Join(", ", HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs).Select(p => $"{p} {HostProbe.CmdLine(p)}"))}");

        var killed = Stopwatch.StartNew();
        Assert.Equal(0, SysKill(init!.Value, 9));
        var failed = await Poll.UntilAsync(async () => (await S.GetAsync(box.Path)).Expect(200).Json, j => j.Str("status") != "ready",
            TimeSpan.FromSeconds(5), "the sandbox to leave ready after its init was killed", 100);
        Assert.True(failed.Str("status") == "failed", $"expected failed: {failed}");
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(5), $"noticed after {killed.Elapsed.TotalSeconds:F1} s");
        var message = failed.GetProperty("status_message").GetString() ?? "";
        Assert.Contains("init", message);
        // The signal is named when the kernel still tells it (PIDFD_INFO_EXIT once the init is reaped, or its zombie's
        // stat); under runc the init's parent is the host's init, which may reap it first, so it is not asserted.
        Assert.Contains("ended", message);
        var status = (await S.GetAsync(box.Path + "/status")).Expect(200).Json;
        Assert.Equal("failed", status.Str("status"));

        // Exec says why instead of a bare 503.
        var exec = await box.ExecRawAsync("true");
        exec.ExpectError(400, "NotReady");
        Assert.Contains("failed", exec.Text);
        Assert.Contains("start", exec.Text);

        var started = (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.True(started.Str("status") == "ready", $"start of the failed sandbox: {started}");
        Assert.True(started.GetProperty("status_message").ValueKind == JsonValueKind.Null, $"status_message kept after the start: {started}");
        Assert.Equal("before-the-kill", (await box.RunAsync("cat /home/user/kept.txt")).Trim());
        Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
        var newInit = InitPid(box.Id);
        Assert.True(newInit is not null && newInit != init, "the start did not boot a new init");

        // Still ready a while later: the watcher follows the new init, not the dead one.
        await Task.Delay(2500);
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
    }

    [Fact]
    public async Task Paused_sandbox_is_not_taken_for_dead()
    {
        await using var box = await Box.CreateAsync(S, tag: "frozen-alive");
        await box.RunAsync("echo x > /home/user/x");
        (await S.PostAsync(box.Path + "/pause", new { })).Expect(200);
        await Task.Delay(3500); // longer than the watcher's pass
        Assert.Equal("paused", await S.StatusOfAsync(box.Name));
        Assert.Equal("ready", (await S.PostAsync(box.Path + "/resume", new { })).Expect(200).Json.Str("status"));
        Assert.Equal("x", (await box.RunAsync("cat /home/user/x")).Trim());
        await Task.Delay(2500);
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
    }

    [Fact]
    public async Task Init_killed_while_paused_is_failed_when_thawed()
    {
        await using var box = await Box.CreateAsync(S, tag: "paused-kill");
        await box.RunAsync("echo kept > /home/user/k");
        (await S.PostAsync(box.Path + "/pause", new { })).Expect(200);
        var init = InitPid(box.Id);
        Assert.NotNull(init);
        Assert.Equal(0, SysKill(init!.Value, 9));
        // cgroup v1 delivers the signal only when the freezer thaws: the sandbox stays paused meanwhile.
        await Task.Delay(2000);
        Assert.Equal("paused", await S.StatusOfAsync(box.Name));
        (await S.PostAsync(box.Path + "/resume", new { })).Expect(200);
        var failed = await Poll.UntilAsync(async () => (await S.GetAsync(box.Path)).Expect(200).Json, j => j.Str("status") == "failed",
            TimeSpan.FromSeconds(5), "the sandbox to fail once its init got the signal", 100);
        Assert.Contains("init", failed.GetProperty("status_message").GetString() ?? "");
        Assert.Equal("ready", (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json.Str("status"));
        Assert.Equal("kept", (await box.RunAsync("cat /home/user/k")).Trim());
    }
}

/// <summary>A server SIGKILLed while it snapshots a running sandbox (a server of its own).</summary>
public sealed class SnapshotCrashTests
{
    private const string Snapshots = "v2/sandboxes/snapshots";

    private static string FreezerState(string id) => HostProbe.ReadCgroupFile(HostProbe.CgroupDir(id, "freezer"), "freezer.state");

    [Fact]
    public async Task Server_killed_during_a_snapshot_leaves_the_source_running_and_the_snapshot_failed()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var box = await Box.CreateAsync(s, tag: "snap-crash", extra: new() { ["mem_bytes"] = 1L << 30 });
        // Enough files that the copy takes a while: a few large ones and many small ones.
        await box.RunAsync("mkdir -p /home/user/big /home/user/small && for i in 1 2 3; do head -c 100000000 /dev/zero > /home/user/big/f$i; done " +
                           "&& cd /home/user/small && seq 1 6000 | xargs -n 500 touch && echo before > /home/user/kept.txt");
        var sleepPid = (await box.RunAsync("nohup sleep 1000 >/dev/null 2>&1 & echo $!")).Trim();
        var sleepHost = await Poll.UntilAsync(() => Task.FromResult(HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs)
                .FirstOrDefault(p => HostProbe.CmdLine(p) == "sleep 1000")), p => p != 0, TimeSpan.FromSeconds(5), "the background sleep", 20);
        var sleepStart = HostProbe.StartTime(sleepHost);

        var snap = (await s.PostAsync($"{Api.Box(box.Name)}/snapshot", new { name = Names.New("crash-snap") })).Expect(201).Json;
        var snapId = snap.Str("id");
        // Kill the server while the sandbox is frozen for the copy.
        var timer = Stopwatch.StartNew();
        var sawFrozen = false;
        while (timer.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (FreezerState(box.Id) == "FROZEN")
            {
                sawFrozen = true;
                break;
            }
            await Task.Delay(2);
        }
        Assert.True(sawFrozen, "the sandbox was never seen frozen for the snapshot");
        await s.KillAsync();
        Assert.Equal("FROZEN", FreezerState(box.Id));

        await s.RestartAsync();

        var source = (await s.GetAsync(box.Path)).Expect(200).Json;
        Assert.True(source.Str("status") == "ready", $"the source after the restart: {source}");
        Assert.Equal("THAWED", FreezerState(box.Id));
        Assert.Equal(sleepStart, HostProbe.StartTime(sleepHost)); // the same process, not a new one with its pid
        Assert.Equal("alive", (await box.RunAsync($"kill -0 {sleepPid} && echo alive")).Trim());
        Assert.Equal("before", (await box.RunAsync("cat /home/user/kept.txt")).Trim());

        // The copy the killed server left running is gone too.
        var copies = Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
            .Where(p => p > 0 && HostProbe.CmdLine(p).Contains(snapId)).Select(p => $"{p} {HostProbe.CmdLine(p)}").ToList();
        Assert.True(copies.Count == 0, $"processes still working on the snapshot: {string.Join("; ", copies)}");

        var failed = (await s.GetAsync($"{Snapshots}/{snapId}")).Expect(200).Json;
        Assert.True(failed.Str("status") == "failed", $"the snapshot after the restart: {failed}");
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("status_message").GetString()), failed.ToString());

        // A new snapshot of the same sandbox works, and thaws it after.
        var again = (await s.PostAsync($"{Api.Box(box.Name)}/snapshot", new { name = Names.New("after-crash") })).Expect(201).Json;
        var done = await Poll.UntilAsync(async () => (await s.GetAsync($"{Snapshots}/{again.Str("id")}")).Expect(200).Json,
            j => j.Str("status") != "building", TimeSpan.FromSeconds(120), "the second snapshot", 200);
        Assert.True(done.Str("status") == "ready", done.ToString());
        Assert.Equal("THAWED", FreezerState(box.Id));
        Assert.Equal("ready", await s.StatusOfAsync(box.Name));
    }
}
