using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>Tests that need a server of their own: SIGKILL and restart, and the default ttl granularity.</summary>
public sealed class OwnServerTests
{
    [Fact]
    public async Task Sigkill_and_restart_loses_no_sandbox()
    {
        await using var s = await ServerProcess.StartAsync(ttlGranularity: null);
        var running = await Box.CreateAsync(s, tag: "survivor");
        var stopped = await Box.CreateAsync(s, template: "python", tag: "sleeper");
        await using (running)
        await using (stopped)
        {
            await running.RunAsync("echo running-file > /home/user/r.txt");
            await stopped.RunAsync("echo stopped-file > /home/user/s.txt");
            (await s.PostAsync(stopped.Path + "/stop", new { })).Expect(200);
            var port = s.Port;
            var oldPid = s.Pid;

            await s.KillAsync();
            Assert.False(s.IsRunning);
            // The running sandbox's processes outlive the server.
            Assert.NotEmpty(HostProbe.CgroupDirs(running.Id, "pids").SelectMany(HostProbe.Procs));

            await s.RestartAsync();
            Assert.Equal(port, s.Port);
            Assert.NotEqual(oldPid, s.Pid);

            var listed = (await s.ListAllAsync()).ToDictionary(x => x.Str("id"));
            Assert.True(listed.ContainsKey(running.Id), "the running sandbox is not listed after the restart");
            Assert.True(listed.ContainsKey(stopped.Id), "the stopped sandbox is not listed after the restart");
            Assert.Equal("ready", listed[running.Id].Str("status"));
            Assert.Equal("stopped", listed[stopped.Id].Str("status"));
            Assert.Equal(running.DataplaneUrl, listed[running.Id].Str("dataplane_url"));

            Assert.Equal("running-file", (await running.RunAsync("cat /home/user/r.txt")).Trim());
            // A dataplane call wakes the stopped sandbox (one boot); a start after it finds it ready.
            Assert.Equal("stopped-file", (await stopped.RunAsync("cat /home/user/s.txt")).Trim());
            var started = (await s.PostAsync(stopped.Path + "/start", new { })).Expect(200).Json;
            Assert.True(started.Str("status") == "ready", $"start after the restart: {started}");
            Assert.Equal("ready", await s.StatusOfAsync(stopped.Name));

            // Still one set of processes per sandbox: the restart did not boot a second copy.
            var procs = HostProbe.CgroupDirs(running.Id, "pids").SelectMany(HostProbe.Procs).ToList();
            Assert.True(procs.Count is > 0 and < 5, $"unexpected processes in the running sandbox's cgroup: {string.Join(", ", procs.Select(p => $"{p} {HostProbe.CmdLine(p)}"))}");
        }
    }

    [Fact]
    public async Task Sandbox_killed_while_server_was_down_is_reported_failed()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var box = await Box.CreateAsync(s, tag: "orphan");
        await box.RunAsync("echo still-here > /home/user/f");
        await s.KillAsync();
        // Kill the sandbox's processes behind the server's back.
        foreach (var pid in HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs))
            try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        await Poll.UntilAsync(() => !HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs).Any(), TimeSpan.FromSeconds(5), "the sandbox's processes to die");
        await s.RestartAsync();
        var j = (await s.GetAsync(box.Path)).Expect(200).Json;
        // Not stopped: nobody stopped it. Failed, like a sandbox whose init dies while the server runs (LivenessTests).
        Assert.Equal("failed", j.Str("status"));
        Assert.Contains("init", j.GetProperty("status_message").GetString() ?? "");
        var started = (await s.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.True(started.Str("status") == "ready", $"start of the orphaned sandbox: {started}");
        Assert.Equal("still-here", (await box.RunAsync("cat /home/user/f")).Trim());
    }

    [Fact]
    public async Task Ttl_not_a_multiple_of_the_default_granularity_is_422()
    {
        await using var s = await ServerProcess.StartAsync(ttlGranularity: null);
        var ids = await s.SandboxIdsAsync();
        foreach (var (field, value) in new[] { ("ttl_seconds", 30), ("ttl_seconds", 61), ("idle_ttl_seconds", 90), ("idle_ttl_seconds", 1) })
        {
            var name = Names.New("gran");
            var r = await s.PostAsync(Api.Boxes, new JsonObject { ["template_name"] = "base", ["name"] = name, [field] = value });
            r.ExpectValidation(field);
            (await s.GetAsync(Api.Box(name))).Expect(404);
        }
        Assert.Equal(ids, await s.SandboxIdsAsync());
        await using var ok = await Box.CreateAsync(s, tag: "gran-ok", extra: new JsonObject { ["ttl_seconds"] = 120, ["idle_ttl_seconds"] = 0 });
        Assert.Equal(120, ok.Created.GetProperty("ttl_seconds").GetInt32());
        (await s.PatchAsync(ok.Path, new { ttl_seconds = 45 })).ExpectValidation("ttl_seconds");
    }
}
