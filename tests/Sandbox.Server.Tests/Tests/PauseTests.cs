using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Pause and resume (the cgroup freezer). A background counter (a shell loop writing an increasing number
/// to a file) shows that processes stop and go on with their memory; the file is read on the host from the
/// sandbox's upper layer, so that reading it does not wake the sandbox.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class PauseTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    internal const string CounterScript =
        "nohup sh -c 'i=0; while :; do i=$((i+1)); echo $i > /home/user/counter.tmp; mv /home/user/counter.tmp /home/user/counter; sleep 0.02; done' >/dev/null 2>&1 &";

    internal static long Counter(ServerProcess s, string id)
    {
        var path = Path.Combine(s.DataDir, "boxes", id, "fs", "upper", "home", "user", "counter");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return long.Parse(File.ReadAllText(path).Trim());
            }
            catch (Exception e) when ((e is IOException or FormatException) && attempt < 50)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>The pids of the two long-lived shell loops (the counter and the busy loop), not their short-lived children.</summary>
    private static List<int> Loops(string id) =>
        HostProbe.CgroupDirs(id, "pids").SelectMany(HostProbe.Procs).Where(p => HostProbe.CmdLine(p).Contains("while :")).Order().ToList();

    internal static long CpuNanos(string id) => long.Parse(HostProbe.ReadCgroupFile(HostProbe.CgroupDir(id, "cpuacct"), "cpuacct.usage"));
    internal static string FreezerState(string id) => HostProbe.ReadCgroupFile(HostProbe.CgroupDir(id, "freezer"), "freezer.state");

    internal static async Task StartCounterAsync(ServerProcess s, Box box)
    {
        await box.RunAsync(CounterScript);
        await Poll.UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(s.DataDir, "boxes", box.Id, "fs", "upper", "home", "user", "counter")) ? Counter(s, box.Id) : 0),
            v => v >= 5, TimeSpan.FromSeconds(5), "the counter to count", 50);
    }

    [Fact]
    public async Task Paused_sandbox_uses_no_cpu_and_resumes_with_processes_and_memory()
    {
        await using var box = await Box.CreateAsync(S, tag: "pause");
        await StartCounterAsync(S, box);
        await box.RunAsync("nohup sh -c 'while :; do :; done' >/dev/null 2>&1 &");
        var before = CpuNanos(box.Id);
        await Task.Delay(300);
        Assert.True(CpuNanos(box.Id) > before + 50_000_000, "the busy loop does not use CPU before the pause");
        // (A loop's child between fork and exec shows the same command line for a moment: poll past it.)
        var pidsBefore = await Poll.UntilAsync(() => Task.FromResult(Loops(box.Id)), l => l.Count == 2, TimeSpan.FromSeconds(2), "the two loops", 5);

        var paused = (await S.PostAsync(box.Path + "/pause", new { })).Expect(200).Json;
        Assert.Equal("paused", paused.Str("status"));
        Assert.Equal("paused", await S.StatusOfAsync(box.Name));
        Assert.Equal("FROZEN", FreezerState(box.Id));

        var cpuPaused = CpuNanos(box.Id);
        var counterPaused = Counter(S, box.Id);
        await Task.Delay(1000);
        Assert.Equal(cpuPaused, CpuNanos(box.Id));
        Assert.Equal(counterPaused, Counter(S, box.Id));
        // Idempotent.
        Assert.Equal("paused", (await S.PostAsync(box.Path + "/pause", new { })).Expect(200).Json.Str("status"));

        var resumed = (await S.PostAsync(box.Path + "/resume", new { })).Expect(200).Json;
        Assert.Equal("ready", resumed.Str("status"));
        Assert.Equal("THAWED", FreezerState(box.Id));
        Assert.Equal("ready", (await S.PostAsync(box.Path + "/resume", new { })).Expect(200).Json.Str("status"));
        // The same processes, and the counter goes on from its value (its shell kept its memory).
        await Poll.UntilAsync(() => Task.FromResult(Loops(box.Id)), l => l.SequenceEqual(pidsBefore), TimeSpan.FromSeconds(2), $"the loops {string.Join(",", pidsBefore)} to run on", 5);
        var after = await Poll.UntilAsync(() => Task.FromResult(Counter(S, box.Id)), v => v > counterPaused, TimeSpan.FromSeconds(5), "the counter to go on", 20);
        Assert.InRange(after, counterPaused + 1, counterPaused + 50);
        Assert.True(CpuNanos(box.Id) > cpuPaused, "the busy loop does not run after the resume");
    }

    [Fact]
    public async Task Exec_on_a_paused_sandbox_resumes_it()
    {
        await using var box = await Box.CreateAsync(S, tag: "wake");
        await StartCounterAsync(S, box);
        (await S.PostAsync(box.Path + "/pause", new { })).Expect(200);
        var counterPaused = Counter(S, box.Id);
        Assert.Equal("awake", (await box.RunAsync("echo awake")).Trim());
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
        Assert.Equal("THAWED", FreezerState(box.Id));
        await Poll.UntilAsync(() => Task.FromResult(Counter(S, box.Id)), v => v > counterPaused, TimeSpan.FromSeconds(5), "the counter to go on", 20);

        // Downloads wake it too.
        (await S.PostAsync(box.Path + "/pause", new { })).Expect(200);
        var (status, bytes, _) = await box.DownloadAsync("/home/user/counter");
        Assert.Equal(200, status);
        Assert.True(long.Parse(System.Text.Encoding.UTF8.GetString(bytes).Trim()) >= counterPaused);
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
    }

    [Fact]
    public async Task Pause_of_a_stopped_sandbox_is_NotReady_and_stop_of_a_paused_one_works()
    {
        await using var box = await Box.CreateAsync(S, tag: "pstop");
        (await S.PostAsync(box.Path + "/pause", new { })).Expect(200);
        var stopped = (await S.PostAsync(box.Path + "/stop", new { })).Expect(200).Json;
        Assert.Equal("stopped", stopped.Str("status"));
        Assert.Empty(HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs));
        (await S.PostAsync(box.Path + "/pause", new { })).ExpectError(400, "NotReady");
        (await S.PostAsync(box.Path + "/resume", new { })).ExpectError(400, "NotReady");
        (await S.PostAsync(Api.Box(Names.New("missing")) + "/pause", new { })).ExpectError(404, "SandboxNotFound");
        var started = (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.Equal("ready", started.Str("status"));
        Assert.Equal("THAWED", FreezerState(box.Id));
        Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
    }

    [Fact]
    public async Task Auto_pause_pauses_at_ttl_expiry_instead_of_deleting()
    {
        await using var box = await Box.CreateAsync(S, tag: "autop", extra: new JsonObject { ["ttl_seconds"] = 2, ["auto_pause"] = true });
        await box.RunAsync("echo kept > /home/user/kept.txt");
        await Poll.UntilAsync(() => S.StatusOfAsync(box.Name), s => s == "paused", TimeSpan.FromSeconds(6), "the sandbox to pause at its ttl", 100);
        var j = (await S.GetAsync(box.Path)).Expect(200).Json;
        Assert.Equal(JsonValueKind.Null, j.GetProperty("expires_at").ValueKind);
        Assert.Equal("FROZEN", FreezerState(box.Id));
        await Task.Delay(1200); // the expiry pass must not delete it afterwards
        Assert.Equal("paused", await S.StatusOfAsync(box.Name));
        Assert.Equal("kept", (await box.RunAsync("cat /home/user/kept.txt")).Trim());
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
    }

    [Fact]
    public async Task Without_auto_pause_ttl_still_deletes()
    {
        await using var box = await Box.CreateAsync(S, tag: "noautop", extra: new JsonObject { ["ttl_seconds"] = 1, ["auto_pause"] = false });
        await Poll.UntilAsync(() => S.GetAsync(box.Path), r => r.Code == 404, TimeSpan.FromSeconds(6), "the sandbox to be deleted at its ttl", 100);
    }

    [Fact]
    public async Task Auto_pause_must_be_a_bool()
    {
        var r = await S.PostAsync(Api.Boxes, new JsonObject { ["template_name"] = "base", ["name"] = Names.New("badap"), ["auto_pause"] = "yes" });
        Assert.Equal(422, r.Code);
    }
}

/// <summary>Pause survives a SIGKILL of the server and its restart (a server of its own).</summary>
public sealed class PauseRestartTests
{
    [Fact]
    public async Task Pause_survives_sigkill_and_restart()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var box = await Box.CreateAsync(s, tag: "prestart");
        await PauseTests.StartCounterAsync(s, box);
        (await s.PostAsync(box.Path + "/pause", new { })).Expect(200);
        var counterPaused = PauseTests.Counter(s, box.Id);

        await s.KillAsync();
        await s.RestartAsync();

        Assert.Equal("paused", await s.StatusOfAsync(box.Name));
        Assert.Equal("FROZEN", PauseTests.FreezerState(box.Id));
        await Task.Delay(500);
        Assert.Equal(counterPaused, PauseTests.Counter(s, box.Id));

        Assert.Equal("ready", (await s.PostAsync(box.Path + "/resume", new { })).Expect(200).Json.Str("status"));
        var after = await Poll.UntilAsync(() => Task.FromResult(PauseTests.Counter(s, box.Id)), v => v > counterPaused, TimeSpan.FromSeconds(5), "the counter to go on", 20);
        Assert.InRange(after, counterPaused + 1, counterPaused + 50);
        Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
    }
}
