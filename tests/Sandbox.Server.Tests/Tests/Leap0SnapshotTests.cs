using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's snapshots on the real server: create, restore (both paths), list, delete; every response checked against leap0's OpenAPI.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0SnapshotTests(ServerFixture fixture)
{
    private const string CreatePath = "/v1/sandbox/{sandboxID}/snapshot/create", RestorePath = "/v1/snapshot/restore", DeletePath = "/v1/snapshot/{snapshotID}", ListPath = "/v1/snapshots";
    private ServerProcess S => fixture.Server;

    private async Task<JsonElement> RestoreAsync(HttpClient http, string path, object body)
    {
        var restored = (await http.L0PostAsync(path, body)).Expect(201).Conforms("POST", RestorePath).Json;
        S.Track(restored.Str("id")); // answered at once, maybe starting: the commands below wait for its boot
        return restored;
    }

    [Fact]
    public async Task Snapshots_a_sandbox_restores_it_into_new_ones_lists_and_deletes_it()
    {
        using var http = Leap0Api.Client(S);
        var name = Names.New("l0snap");
        var source = await http.CreateTrackedAsync(S, new { vcpu = 2, memory = 768 });
        var restoredIds = new List<string>();
        try
        {
            (await http.L0PostAsync($"v1/sandbox/{source}/process/execute", new { command = "echo saved > /home/user/state.txt" })).Expect(200);
            var snap = (await http.L0PostAsync($"v1/sandbox/{source}/snapshot/create/", new { name })).Expect(201).Conforms("POST", CreatePath).Json;
            Assert.Equal(name, snap.Str("name"));
            Assert.Equal("system/debian:bookworm", snap.Str("template_id"));
            Assert.Equal(2, snap.GetProperty("vcpu").GetInt32());
            Assert.Equal(768, snap.GetProperty("memory").GetInt64());
            // The source runs on, and a second snapshot of the same name is a 409.
            Assert.Equal("running", (await http.L0GetAsync($"v1/sandbox/{source}")).Expect(200).Json.Str("state"));
            (await http.L0PostAsync($"v1/sandbox/{source}/snapshot/create", new { name })).ExpectLeap0Error(409).Conforms("POST", CreatePath);

            foreach (var path in new[] { "v1/snapshot/restore", "v1/snapshot/resume/" })
            {
                var restored = await RestoreAsync(http, path, new { snapshot_name = name, timeout = 900, auto_pause = true });
                restoredIds.Add(restored.Str("id"));
                Assert.NotEqual(source, restored.Str("id"));
                Assert.Equal(2, restored.GetProperty("vcpu").GetInt32());
                Assert.Equal(768, restored.GetProperty("memory").GetInt64());
                Assert.Equal(900, restored.GetProperty("timeout").GetInt64());
                Assert.True(restored.GetProperty("auto_pause").GetBoolean());
                var cat = (await http.L0PostAsync($"v1/sandbox/{restored.Str("id")}/process/execute", new { command = "cat /home/user/state.txt" })).Expect(200).Json;
                Assert.Equal("saved\n", cat.Str("stdout"));
            }

            var listed = (await http.L0GetAsync($"v1/snapshots?query={name}")).Expect(200).Conforms("GET", ListPath).Json;
            Assert.Equal(1, listed.GetProperty("total_items").GetInt32());
            Assert.Equal(snap.Str("id"), listed.GetProperty("items")[0].Str("id"));
            var all = (await http.L0GetAsync("v1/snapshots/?sort=template_id&order-by=asc&page-size=100")).Expect(200).Conforms("GET", ListPath).Json;
            Assert.Contains(all.GetProperty("items").EnumerateArray(), i => i.Str("name") == name);

            (await http.L0DeleteAsync($"v1/snapshot/{snap.Str("id")}/")).Expect(204).Conforms("DELETE", DeletePath);
            (await http.L0DeleteAsync($"v1/snapshot/{snap.Str("id")}")).ExpectLeap0Error(404).Conforms("DELETE", DeletePath);
            Assert.Equal(0, (await http.L0GetAsync($"v1/snapshots?query={name}")).Expect(200).Json.GetProperty("total_items").GetInt32());
            (await http.L0PostAsync("v1/snapshot/restore", new { snapshot_name = name })).ExpectLeap0Error(404).Conforms("POST", RestorePath);
            // The restored sandboxes do not depend on the deleted snapshot's files.
            Assert.Equal("saved\n", (await http.L0PostAsync($"v1/sandbox/{restoredIds[0]}/process/execute", new { command = "cat /home/user/state.txt" })).Expect(200).Json.Str("stdout"));
        }
        finally
        {
            foreach (var id in restoredIds.Append(source)) (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Fact]
    public async Task Kill_sandbox_after_ends_the_source_and_a_name_is_made_when_none_is_given()
    {
        using var http = Leap0Api.Client(S);
        var source = await http.CreateTrackedAsync(S);
        var snap = (await http.L0PostAsync($"v1/sandbox/{source}/snapshot/create", new { kill_sandbox_after = true })).Expect(201).Conforms("POST", CreatePath).Json;
        Assert.StartsWith("snap-", snap.Str("name"));
        (await http.L0GetAsync($"v1/sandbox/{source}")).ExpectLeap0Error(404);
        var restored = await RestoreAsync(http, "v1/snapshot/restore", new { snapshot_name = snap.Str("name") });
        Assert.Equal(300, restored.GetProperty("timeout").GetInt64());
        (await http.L0DeleteAsync($"v1/sandbox/{restored.Str("id")}")).Expect(204);
        (await http.L0DeleteAsync($"v1/snapshot/{snap.Str("id")}")).Expect(204).Conforms("DELETE", DeletePath);

        // The older SDKs' snapshot/pause (not in the current spec): a snapshot, then the source is gone.
        var older = await http.CreateTrackedAsync(S);
        var paused = (await http.L0PostAsync($"v1/sandbox/{older}/snapshot/pause", new { })).Expect(201).Json;
        Assert.Empty(Leap0Contract.Validate(paused, Leap0Contract.SchemaRef("SnapshotCreateResponse")));
        (await http.L0GetAsync($"v1/sandbox/{older}")).ExpectLeap0Error(404);
        (await http.L0DeleteAsync($"v1/snapshot/{paused.Str("name")}")).Expect(204).Conforms("DELETE", DeletePath);
    }

    [Fact]
    public async Task Refuses_bad_snapshot_requests_naming_the_field()
    {
        using var http = Leap0Api.Client(S);
        var source = await http.CreateTrackedAsync(S);
        try
        {
            var create = $"v1/sandbox/{source}/snapshot/create";
            foreach (var (body, field) in new (object, string)[] { (new { name = "Not A Name" }, "name"), (new { name = 5 }, "name"), (new { kill_sandbox_after = "yes" }, "kill_sandbox_after") })
                (await http.L0PostAsync(create, body)).Conforms("POST", CreatePath).ExpectLeap0Field(field);
            (await Api.SendAsync(http, HttpMethod.Post, create, new StringContent("{", System.Text.Encoding.UTF8, "application/json"))).ExpectLeap0Error(400).Conforms("POST", CreatePath);
            (await http.L0PostAsync("v1/sandbox/no-such-id/snapshot/create", new { })).ExpectLeap0Error(404).Conforms("POST", CreatePath);

            foreach (var (body, field) in new (object, string)[]
            {
                (new { }, "snapshot_name"), (new { snapshot_name = "" }, "snapshot_name"), (new { snapshot_name = 7 }, "snapshot_name"),
                (new { snapshot_name = "x", timeout = 0 }, "timeout"), (new { snapshot_name = "x", timeout = 28801 }, "timeout"),
                (new { snapshot_name = "x", auto_pause = "no" }, "auto_pause"), (new { snapshot_name = "x", network_policy = new { mode = "sometimes" } }, "network_policy.mode"),
            })
                (await http.L0PostAsync("v1/snapshot/restore", body)).Conforms("POST", RestorePath).ExpectLeap0Field(field);

            foreach (var (query, field) in new[] { ("sort=name", "sort"), ("order-by=x", "order-by"), ("page=0", "page"), ("page-size=101", "page-size"), ($"query={new string('a', 65)}", "query") })
                (await http.L0GetAsync($"v1/snapshots?{query}")).Conforms("GET", ListPath).ExpectLeap0Field(field);
            (await http.L0DeleteAsync("v1/snapshot/no-such-snapshot")).ExpectLeap0Error(404).Conforms("DELETE", DeletePath);
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{source}")).Expect(204);
        }
    }
}
