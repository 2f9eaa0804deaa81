using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class TtlTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Ttl_deletes_the_sandbox_at_expiry()
    {
        await using var box = await Box.CreateAsync(S, tag: "ttl", extra: new JsonObject { ["ttl_seconds"] = 2 });
        Assert.Equal(2, box.Created.GetProperty("ttl_seconds").GetInt32());
        var expires = DateTimeOffset.Parse(box.Created.Str("expires_at"));
        var created = DateTimeOffset.Parse(box.Created.Str("created_at"));
        Assert.InRange((expires - created).TotalSeconds, 1.5, 2.5);
        Assert.Equal("alive", (await box.RunAsync("echo alive")).Trim()); // activity does not extend a ttl
        var started = DateTime.UtcNow;
        await Poll.UntilAsync(() => S.GetAsync(box.Path), r => r.Code == 404, TimeSpan.FromSeconds(6), "the sandbox to be deleted at its ttl", 250);
        Assert.DoesNotContain(box.Id, await S.SandboxIdsAsync());
        await Poll.UntilAsync(() => !Directory.Exists(Path.Combine(S.DataDir, "boxes", box.Id)) && HostProbe.CgroupDirs(box.Id).Count == 0,
            TimeSpan.FromSeconds(5), "the expired sandbox's files and cgroups to be removed");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(11));
    }

    [Fact]
    public async Task Idle_ttl_stops_an_idle_sandbox()
    {
        await using var box = await Box.CreateAsync(S, tag: "idle", extra: new JsonObject { ["idle_ttl_seconds"] = 2 });
        Assert.Equal(2, box.Created.GetProperty("idle_ttl_seconds").GetInt32());
        await box.RunAsync("echo kept > /home/user/idle.txt");
        await Poll.UntilAsync(() => S.StatusOfAsync(box.Name), s => s == "stopped", TimeSpan.FromSeconds(6), "the idle sandbox to be stopped", 250);
        (await S.GetAsync(box.Path)).Expect(200); // stopped, not deleted
        Assert.Empty(HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs));
        var started = (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.True(started.Str("status") == "ready", $"start after the idle stop: {started}");
        Assert.Equal("kept", (await box.RunAsync("cat /home/user/idle.txt")).Trim());
    }

    [Fact]
    public async Task Commands_keep_an_idle_ttl_sandbox_running()
    {
        await using var box = await Box.CreateAsync(S, tag: "busy", extra: new JsonObject { ["idle_ttl_seconds"] = 3 });
        // A command that runs longer than the idle ttl is activity: the sandbox must not be stopped under it.
        var r = await box.ExecAsync("sleep 5; echo finished", timeout: 30);
        Assert.Equal("finished", r.Out);
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(1000);
            Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
        }
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
    }

    [Fact]
    public async Task Patch_ttl_recomputes_expiry_and_zero_disables()
    {
        await using var box = await Box.CreateAsync(S, tag: "pttl", extra: new JsonObject { ["ttl_seconds"] = 3 });
        var patched = (await S.PatchAsync(box.Path, new { ttl_seconds = 0 })).Expect(200).Json;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, patched.GetProperty("expires_at").ValueKind);
        await Task.Delay(4500);
        Assert.Equal("ready", await S.StatusOfAsync(box.Name));
        var again = (await S.PatchAsync(box.Path, new { ttl_seconds = 2 })).Expect(200).Json;
        var expires = DateTimeOffset.Parse(again.Str("expires_at"));
        Assert.InRange((expires - DateTimeOffset.UtcNow).TotalSeconds, 0, 3);
        await Poll.UntilAsync(() => S.GetAsync(box.Path), r => r.Code == 404, TimeSpan.FromSeconds(6), "deletion at the patched ttl", 250);
    }
}
