using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>The current generation's lifetime: idle_ttl_seconds stops, delete_after_stop_seconds deletes N s after a stop (stopped_at).</summary>
[Collection(ServerCollection.Name)]
public sealed class StopLifetimeTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Stopped_at_is_set_by_a_stop_and_cleared_by_a_start()
    {
        await using var box = await Box.CreateAsync(S, tag: "stopat");
        Assert.Equal(JsonValueKind.Null, box.Created.GetProperty("stopped_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, box.Created.GetProperty("delete_after_stop_seconds").ValueKind);
        var before = DateTime.UtcNow.AddSeconds(-1);
        var stopped = (await S.PostAsync(box.Path + "/stop", new { })).Expect(200).Json;
        Assert.Equal("stopped", stopped.Str("status"));
        var at = stopped.GetProperty("stopped_at").GetDateTime();
        Assert.InRange(at, before, DateTime.UtcNow.AddSeconds(1));
        // A second stop keeps the first stop's time.
        Assert.Equal(at, (await S.PostAsync(box.Path + "/stop", new { })).Expect(200).Json.GetProperty("stopped_at").GetDateTime());
        var started = (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.Equal(JsonValueKind.Null, started.GetProperty("stopped_at").ValueKind);
    }

    [Fact]
    public async Task Delete_after_stop_deletes_a_stopped_sandbox_after_that_many_seconds_and_never_a_running_one()
    {
        await using var box = await Box.CreateAsync(S, tag: "das", extra: new JsonObject { ["delete_after_stop_seconds"] = 2 });
        Assert.Equal(2, box.Created.GetProperty("delete_after_stop_seconds").GetInt32());
        await Task.Delay(3000);
        Assert.Equal("ready", await S.StatusOfAsync(box.Name)); // running: the clock starts only at a stop
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        await Task.Delay(800);
        Assert.Equal("stopped", await S.StatusOfAsync(box.Name));
        await Poll.UntilAsync(() => S.GetAsync(box.Path), r => r.Code == 404, TimeSpan.FromSeconds(6), "deletion 2 s after the stop", 250);
    }

    [Fact]
    public async Task Patch_sets_and_clears_delete_after_stop_counted_from_the_stop()
    {
        await using var box = await Box.CreateAsync(S, tag: "pdas");
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        Assert.Equal(60, (await S.PatchAsync(box.Path, new { delete_after_stop_seconds = 60 })).Expect(200).Json.GetProperty("delete_after_stop_seconds").GetInt32());
        Assert.Equal(0, (await S.PatchAsync(box.Path, new { delete_after_stop_seconds = 0 })).Expect(200).Json.GetProperty("delete_after_stop_seconds").GetInt32());
        await Task.Delay(3000);
        Assert.Equal("stopped", await S.StatusOfAsync(box.Name)); // 0 disables
        // 3 s have passed since the stop: a PATCH to 3 deletes it at the next pass.
        (await S.PatchAsync(box.Path, new { delete_after_stop_seconds = 3 })).Expect(200);
        await Poll.UntilAsync(() => S.GetAsync(box.Path), r => r.Code == 404, TimeSpan.FromSeconds(2), "deletion once 3 s have passed since the stop", 100);
    }

    [Theory]
    [InlineData(-60)]
    [InlineData(400_000_000)] // over ten years
    public async Task Bad_delete_after_stop_is_422_value_error(long value)
    {
        var r = await S.PostAsync(Api.Boxes, new JsonObject { ["template_name"] = "base", ["delete_after_stop_seconds"] = value });
        r.ExpectValidation("delete_after_stop_seconds");
        Assert.Equal("value_error", r.Json.GetProperty("detail")[0].Str("type"));
        await using var box = await Box.CreateAsync(S, tag: "pdasbad");
        (await S.PatchAsync(box.Path, new JsonObject { ["delete_after_stop_seconds"] = value })).ExpectValidation("delete_after_stop_seconds");
    }

    [Fact]
    public async Task Current_generation_creates_default_to_a_600_s_idle_ttl_and_older_forms_to_none()
    {
        await using var current = await Box.CreateAsync(S, tag: "idldef", extra: new JsonObject { ["template_name"] = null });
        Assert.Equal(600, current.Created.GetProperty("idle_ttl_seconds").GetInt32());
        await using var named = await Box.CreateAsync(S, tag: "idlnm", extra: new JsonObject { ["template_name"] = null, ["snapshot_name"] = "base", ["idle_ttl_seconds"] = 0 });
        Assert.Equal(0, named.Created.GetProperty("idle_ttl_seconds").GetInt32());
        await using var old = await Box.CreateAsync(S, tag: "idlold");
        Assert.Equal(JsonValueKind.Null, old.Created.GetProperty("idle_ttl_seconds").ValueKind);
    }
}
