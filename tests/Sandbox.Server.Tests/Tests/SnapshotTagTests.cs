using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// The current generation's snapshot identity against the real server: tags under a name (<c>latest</c> by default,
/// re-tagging moves), lookup and deletion by <c>name[:tag]</c>, <c>/snapshots-by-name</c>, labels and their filters,
/// built-in image snapshots, and sandboxes created by reference.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class SnapshotTagTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Snapshots = "v2/sandboxes/snapshots";

    /// <summary>A snapshot of a built-in: ready at once, no files (cheap for identity tests).</summary>
    private async Task<JsonElement> BuiltInAsync(string name, string? tag = null, JsonObject? labels = null, string image = "base")
    {
        var body = new JsonObject { ["name"] = name, ["docker_image"] = image, ["fs_capacity_bytes"] = 1L << 30 };
        if (tag is not null) body["tag"] = tag;
        if (labels is not null) body["labels"] = labels;
        var created = (await S.PostAsync(Snapshots, body)).Expect(201).Json;
        Assert.Equal("ready", created.Str("status"));
        return created;
    }

    private static string[] Tags(JsonElement snapshot) => snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray();

    private async Task<string> IdOfAsync(string reference) => (await S.GetAsync($"{Snapshots}/{Uri.EscapeDataString(reference)}")).Expect(200).Json.Str("id");

    [Fact]
    public async Task Tags_resolve_references_and_retagging_moves_latest()
    {
        var name = Names.New("tags");
        var first = await BuiltInAsync(name);
        var v1 = await BuiltInAsync(name, "v1.0");
        Assert.Equal(["latest"], Tags(first));
        Assert.Equal(["v1.0"], Tags(v1));
        Assert.Equal(first.Str("id"), await IdOfAsync(name));
        Assert.Equal(first.Str("id"), await IdOfAsync($"{name}:latest"));
        Assert.Equal(v1.Str("id"), await IdOfAsync($"{name}:v1.0"));

        // A second snapshot under latest takes the tag; the first is left without tags, reachable by id only.
        var second = await BuiltInAsync(name);
        Assert.Equal(second.Str("id"), await IdOfAsync($"{name}:latest"));
        Assert.Empty(Tags((await S.GetAsync($"{Snapshots}/{first.Str("id")}")).Expect(200).Json));
        var byName = (await S.GetAsync($"v2/sandboxes/snapshots-by-name/{name}")).Expect(200).Json;
        Assert.Equal(name, byName.Str("name"));
        Assert.Equal([("latest", second.Str("id")), ("v1.0", v1.Str("id"))],
            byName.GetProperty("tags").EnumerateArray().Select(t => (t.Str("tag"), t.Str("snapshot_id"))));
        // Both list shapes carry all three, tags included.
        var listed = (await S.GetAsync($"{Snapshots}?name_contains={name}")).Expect(200).Json;
        Assert.Equal(3, listed.GetProperty("items").GetArrayLength());

        // A sandbox from a reference, through snapshot and snapshot_name.
        var box = (await S.PostAsync(Api.Boxes, new { snapshot = $"{name}:v1.0", name = Names.New("by-tag") })).Expect(201).Json;
        S.Track(box.Str("id"));
        Assert.Equal(v1.Str("id"), box.Str("snapshot_id"));
        Assert.Null(box.GetProperty("template_name").GetString());
        (await S.DeleteAsync(Api.Box(box.Str("name")))).Expect(204);
        (await S.PostAsync(Api.Boxes, new { snapshot = $"{name}:nope" })).ExpectError(404, "SnapshotNotFound");

        // Deleting latest by reference: the bare name falls back to the newest ready untagged snapshot (the first).
        (await S.DeleteAsync($"{Snapshots}/{Uri.EscapeDataString($"{name}:latest")}")).Expect(204);
        (await S.GetAsync($"{Snapshots}/{second.Str("id")}")).ExpectError(404, "SnapshotNotFound");
        (await S.GetAsync($"{Snapshots}/{Uri.EscapeDataString($"{name}:latest")}")).ExpectError(404, "SnapshotNotFound");
        Assert.Equal(first.Str("id"), await IdOfAsync(name));
        (await S.DeleteAsync($"{Snapshots}/{first.Str("id")}")).Expect(204);
        (await S.DeleteAsync($"{Snapshots}/{Uri.EscapeDataString($"{name}:v1.0")}")).Expect(204);
        (await S.GetAsync($"v2/sandboxes/snapshots-by-name/{name}")).ExpectError(404, "SnapshotNotFound");
    }

    [Fact]
    public async Task Labels_are_set_echoed_and_filtered()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var a = await BuiltInAsync(Names.New("lab-a"), labels: new JsonObject { ["team"] = tag, ["tier"] = "gold" });
        var b = await BuiltInAsync(Names.New("lab-b"), labels: new JsonObject { ["team"] = tag });
        try
        {
            Assert.Equal("gold", a.GetProperty("labels").Str("tier"));
            async Task<string[]> Ids(string query) =>
                (await S.GetAsync($"{Snapshots}?{query}")).Expect(200).Json.GetProperty("items").EnumerateArray().Select(s => s.Str("id")).Order().ToArray();
            Assert.Equal(new[] { a.Str("id"), b.Str("id") }.Order(), await Ids($"label=team%3D{tag}"));
            Assert.Equal([a.Str("id")], await Ids($"label=team%3D{tag}&label=tier"));
            Assert.Equal([a.Str("id")], await Ids($"label=team%3D{tag}&label=tier%3Dgold"));
            Assert.Empty(await Ids($"label=team%3D{tag}&label=tier%3Dsilver"));
        }
        finally
        {
            await S.DeleteAsync($"{Snapshots}/{a.Str("id")}");
            await S.DeleteAsync($"{Snapshots}/{b.Str("id")}");
        }

        // Sandboxes carry labels from create, and their list filters them the same way.
        await using var box = await Box.CreateAsync(S, tag: "labelled", extra: new JsonObject { ["labels"] = new JsonObject { ["team"] = tag } });
        Assert.Equal(tag, box.Created.GetProperty("labels").Str("team"));
        var listed = (await S.GetAsync($"{Api.Boxes}?label=team%3D{tag}")).Expect(200).Json.GetProperty("items").EnumerateArray().Select(s => s.Str("id"));
        Assert.Equal([box.Id], listed);
        Assert.Empty((await S.GetAsync($"{Api.Boxes}?label=team%3Dother-{tag}")).Expect(200).Json.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_built_in_snapshot_boots_the_built_in_with_its_resources()
    {
        var snap = await BuiltInAsync(Names.New("py"), image: "python");
        try
        {
            Assert.Equal("python", snap.Str("docker_image"));
            var box = (await S.PostAsync(Api.Boxes, new { snapshot_id = snap.Str("id"), name = Names.New("from-builtin") })).Expect(201).Json;
            S.Track(box.Str("id"));
            Assert.Equal(1L << 30, box.GetProperty("mem_bytes").GetInt64()); // the python built-in's 1Gi
            var r = (await S.ExecRawAsync(box.Str("dataplane_url"), new { command = "python3 -c 'print(6*7)'" })).Expect(200).Json;
            Assert.Equal("42", r.Str("stdout").Trim());
            (await S.DeleteAsync(Api.Box(box.Str("name")))).Expect(204);
        }
        finally
        {
            await S.DeleteAsync($"{Snapshots}/{snap.Str("id")}");
        }
    }

    [Theory]
    [InlineData("{\"name\":\"t-bad-tag\",\"docker_image\":\"base\",\"tag\":\"-x\"}", "tag")]
    [InlineData("{\"name\":\"t-bad-tag\",\"docker_image\":\"base\",\"tag\":\"a b\"}", "tag")]
    [InlineData("{\"name\":\"t-bad-lab\",\"docker_image\":\"base\",\"labels\":{\"bad key\":\"v\"}}", "labels")]
    [InlineData("{\"name\":\"t-bad-img\",\"docker_image\":\"\"}", "docker_image")]
    [InlineData("{\"name\":\"t-bad-reg\",\"docker_image\":\"ghcr.io/x/y:1\",\"registry_id\":\"00000000-0000-0000-0000-000000000000\"}", "registry_id")]
    public async Task Bad_snapshot_bodies_are_422_value_errors_naming_the_field(string body, string field)
    {
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, Snapshots, Api.JsonBody(body));
        r.ExpectValidation(field);
        Assert.Contains(r.Json.GetProperty("detail").EnumerateArray(), d => d.Str("type") == "value_error");
    }

    [Theory]
    [InlineData("{\"name\":\"t-bad-lab\",\"docker_image\":\"base\",\"labels\":{\"k\":1}}", "string_type")]
    [InlineData("{\"name\":\"t-bad-lab\",\"docker_image\":\"base\",\"labels\":[\"k\"]}", "dict_type")]
    public async Task Labels_of_the_wrong_json_type_are_422_with_their_type(string body, string type)
    {
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, Snapshots, Api.JsonBody(body));
        r.ExpectValidation("labels");
        Assert.Equal(type, r.Json.GetProperty("detail")[0].Str("type"));
    }

    [Fact]
    public async Task Capture_refuses_what_the_local_server_cannot_do_and_takes_tag_and_labels()
    {
        await using var box = await Box.CreateAsync(S, tag: "cap-tag");
        (await S.PostAsync($"{box.Path}/snapshot", new { name = Names.New("s"), docker_image = "langsmith-snapshot-build:x" })).ExpectValidation("docker_image");
        (await S.PostAsync($"{box.Path}/snapshot", new { name = Names.New("s"), include_memory = true })).ExpectValidation("include_memory");
        (await S.PostAsync($"{box.Path}/snapshot", new { name = Names.New("s"), include = new[] { "all" } })).ExpectValidation("include");
        (await S.PostAsync($"{box.Path}/snapshot", new { name = Names.New("s"), tag = "no spaces" })).ExpectValidation("tag");
        var name = Names.New("cap");
        var snap = (await S.PostAsync($"{box.Path}/snapshot", new { name, tag = "v2", labels = new { kind = "capture" } })).Expect(201).Json;
        Assert.Equal("building", snap.Str("status"));
        Assert.Equal(["v2"], Tags(snap));
        var ready = await Poll.UntilAsync(async () => (await S.GetAsync($"{Snapshots}/{Uri.EscapeDataString($"{name}:v2")}")).Expect(200).Json,
            j => j.Str("status") != "building", TimeSpan.FromSeconds(60), "the capture");
        Assert.Equal("ready", ready.Str("status"));
        Assert.Equal("capture", ready.GetProperty("labels").Str("kind"));
        // building is also the status filter's name (provisioning, its older name, still filters the same).
        (await S.GetAsync($"{Snapshots}?status=building")).Expect(200);
        (await S.GetAsync($"{Snapshots}?status=provisioning")).Expect(200);
        (await S.DeleteAsync($"{Snapshots}/{Uri.EscapeDataString($"{name}:v2")}")).Expect(204);
    }
}
