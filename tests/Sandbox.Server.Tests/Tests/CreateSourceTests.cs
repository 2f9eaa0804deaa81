using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// What POST /boxes boots in both generations: nothing (the built-in python snapshot), <c>snapshot_name</c>,
/// <c>snapshot</c> (<c>name[:tag]</c> or an id), <c>snapshot_id</c> and the older <c>template_name</c>; at most one.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class CreateSourceTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Snapshots = "v2/sandboxes/snapshots";

    /// <summary>A create without template_name (Box.CreateAsync sends it; null is "not given").</summary>
    private Task<Box> CreateAsync(JsonObject source, string tag = "src") =>
        Box.CreateAsync(S, tag: tag, extra: new JsonObject { ["template_name"] = null }.Merge(source));

    [Fact]
    public async Task No_source_boots_the_builtin_python_snapshot_and_base_resolves_by_name()
    {
        await using var box = await CreateAsync([], "dflt");
        Assert.Equal(JsonValueKind.Null, box.Created.GetProperty("template_name").ValueKind);
        Assert.Equal(JsonValueKind.Null, box.Created.GetProperty("snapshot_id").ValueKind);
        Assert.Equal(1L << 30, box.Created.GetProperty("mem_bytes").GetInt64());
        Assert.Equal("3", (await box.RunAsync("python3 -c 'print(1 + 2)'")).Trim());

        await using var based = await CreateAsync(new() { ["snapshot_name"] = "base" }, "bsnm");
        Assert.Equal(512L << 20, based.Created.GetProperty("mem_bytes").GetInt64());
        await using var latest = await CreateAsync(new() { ["snapshot"] = "python:latest" }, "bltst");
        Assert.Equal(1L << 30, latest.Created.GetProperty("mem_bytes").GetInt64());
        Assert.Equal("ready", latest.Created.Str("status"));
    }

    [Fact]
    public async Task A_stored_snapshot_resolves_by_name_reference_and_id()
    {
        await using var src = await Box.CreateAsync(S, tag: "srcsnap");
        await src.RunAsync("echo kept > /home/user/kept.txt");
        var name = Names.New("named");
        var id = (await S.PostAsync($"{Api.Box(src.Name)}/snapshot", new { name })).Expect(201).Json.Str("id");
        try
        {
            await Poll.UntilAsync(async () => (await S.GetAsync($"{Snapshots}/{id}")).Expect(200).Json.Str("status"), s => s == "ready", TimeSpan.FromSeconds(60), "snapshot ready");
            foreach (var source in new JsonObject[] { new() { ["snapshot_name"] = name }, new() { ["snapshot"] = name }, new() { ["snapshot"] = $"{name}:latest" }, new() { ["snapshot"] = id } })
            {
                await using var box = await CreateAsync(source, "byname");
                Assert.Equal(id, box.Created.Str("snapshot_id"));
                Assert.Equal("kept", (await box.RunAsync("cat /home/user/kept.txt")).Trim());
            }
        }
        finally
        {
            await S.DeleteAsync($"{Snapshots}/{id}");
        }
        // Deleted: the name no longer resolves.
        (await S.PostAsync(Api.Boxes, new { snapshot_name = name })).ExpectError(404, "SnapshotNotFound");
    }

    [Theory]
    [InlineData("""{"snapshot_name": "no-such-snapshot-x"}""")]
    [InlineData("""{"snapshot": "no-such-snapshot-x"}""")]
    [InlineData("""{"snapshot": "no-such-snapshot-x:latest"}""")]
    [InlineData("""{"snapshot": "python:v2"}""")] // tags exist now: a built-in has only latest
    public async Task Unknown_snapshot_names_are_404(string body)
    {
        var ids = await S.SandboxIdsAsync();
        (await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, Api.JsonBody(body))).ExpectError(404, "SnapshotNotFound");
        Assert.Equal(ids, await S.SandboxIdsAsync());
    }

    [Theory]
    [InlineData("""{"template_name": "base", "snapshot_name": "python"}""", "snapshot_name")]
    [InlineData("""{"snapshot_name": "python", "snapshot": "base"}""", "snapshot")]
    [InlineData("""{"snapshot_id": "x", "snapshot": "base"}""", "snapshot")]
    [InlineData("""{"template_name": "base", "snapshot_id": "x"}""", "snapshot_id")]
    [InlineData("""{"snapshot": "python:"}""", "snapshot")]
    [InlineData("""{"snapshot": ":v2"}""", "snapshot")]
    [InlineData("""{"env": {"A": "1"}, "env_vars": {"A": "1"}}""", "env_vars")]
    [InlineData("""{"env_vars": {"1A": "x"}}""", "env_vars")]
    [InlineData("""{"name": "Bad_Name"}""", "name")]
    [InlineData("""{"vcpus": 0}""", "vcpus")]
    [InlineData("""{"idle_ttl_seconds": -60}""", "idle_ttl_seconds")]
    [InlineData("""{"network_policy": {"mode": "open"}}""", "mode")]
    public async Task Every_create_value_check_is_422_value_error(string body, string field)
    {
        var ids = await S.SandboxIdsAsync();
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, Api.JsonBody(body));
        r.ExpectValidation(field);
        var issue = r.Json.GetProperty("detail").EnumerateArray().First(i => i.GetProperty("loc").EnumerateArray().Any(l => l.ToString() == field));
        Assert.Equal("value_error", issue.Str("type"));
        Assert.Equal(ids, await S.SandboxIdsAsync());
    }

    [Fact]
    public async Task Env_vars_is_env_by_its_current_name()
    {
        await using var box = await CreateAsync(new() { ["env_vars"] = new JsonObject { ["GREETING"] = "hello" } }, "envv");
        Assert.Equal("hello", (await box.RunAsync("echo $GREETING")).Trim());
    }
}

internal static class JsonObjectMerge
{
    public static JsonObject Merge(this JsonObject into, JsonObject from)
    {
        foreach (var (k, v) in from) into[k] = v?.DeepClone();
        return into;
    }
}
