using System.Text;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>Bad input: 4xx naming the field, never a 500, never a half-created sandbox.</summary>
[Collection(ServerCollection.Name)]
public sealed class ValidationTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private HashSet<string> BoxDirs()
    {
        var dir = Path.Combine(S.DataDir, "boxes");
        return Directory.Exists(dir) ? Directory.GetDirectories(dir).Select(d => Path.GetFileName(d)!).ToHashSet() : [];
    }

    /// <summary>Sends a create body and checks that nothing new exists afterwards (no listed sandbox, no box dir, no cgroup).</summary>
    private async Task<Resp> CreateExpectingNothingAsync(string body, string? name = null)
    {
        var ids = await S.SandboxIdsAsync();
        var dirs = BoxDirs();
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, new StringContent(body, Encoding.UTF8, "application/json"));
        if (r.TryJson(out var j) && j.ValueKind == System.Text.Json.JsonValueKind.Object && j.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String)
            S.Track(id.GetString()!);
        Assert.True(r.Code is >= 400 and < 500, $"expected a 4xx, got {r}");
        await Task.Delay(200); // a background boot would show up by now
        Assert.Equal(ids, await S.SandboxIdsAsync());
        Assert.Equal(dirs, BoxDirs());
        if (name is not null) (await S.GetAsync(Api.Box(name))).Expect(404);
        return r;
    }

    private static string Body(string name, string extra = "") => $"{{\"template_name\":\"base\",\"name\":\"{name}\"{extra}}}";

    [Fact]
    public async Task Unknown_template_is_400_TemplateNotFound()
    {
        var name = Names.New("unk");
        var r = await CreateExpectingNothingAsync($"{{\"template_name\":\"no-such-template-{Guid.NewGuid():N}\",\"name\":\"{name}\"}}", name);
        r.ExpectError(400, "TemplateNotFound");
        Assert.Contains("template", r.Text);
    }

    [Fact]
    public async Task A_template_that_is_not_a_string_is_422()
    {
        // Without any source a create boots the default snapshot (CreateSourceTests); a source of the wrong type is refused.
        var name = Names.New("notpl");
        var r = await CreateExpectingNothingAsync($"{{\"template_name\":[\"base\"],\"name\":\"{name}\"}}", name);
        r.ExpectValidation("template_name");
    }

    [Theory]
    [InlineData("Upper-Case")]
    [InlineData("-leading-hyphen")]
    [InlineData("trailing-hyphen-")]
    [InlineData("under_score")]
    [InlineData("has space")]
    [InlineData("dots.in.name")]
    [InlineData("")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 64 characters
    public async Task Bad_name_is_422_naming_name(string name)
    {
        var r = await CreateExpectingNothingAsync(Body(name));
        r.ExpectValidation("name");
        Assert.Equal(["body", "name"], r.Locs[0]);
    }

    [Fact]
    public async Task Name_of_63_characters_is_fine()
    {
        var name = ("t-" + Guid.NewGuid().ToString("N") + new string('x', 63)).Substring(0, 63);
        var r = await S.PostAsync(Api.Boxes, Body(name));
        if (r.Code == 201) S.Track(r.Json.Str("id"));
        await S.DeleteAsync(Api.Box(name));
        r.Expect(201);
    }

    [Theory]
    [InlineData(",\"vcpus\":0", "vcpus")]
    [InlineData(",\"vcpus\":-1", "vcpus")]
    [InlineData(",\"vcpus\":65", "vcpus")]
    [InlineData(",\"vcpus\":1.5", "vcpus")]
    [InlineData(",\"vcpus\":\"2\"", "vcpus")]
    [InlineData(",\"mem_bytes\":67108863", "mem_bytes")]
    [InlineData(",\"mem_bytes\":0", "mem_bytes")]
    [InlineData(",\"mem_bytes\":1099511627776000", "mem_bytes")]
    [InlineData(",\"mem_bytes\":\"128Mi\"", "mem_bytes")]
    [InlineData(",\"fs_capacity_bytes\":1024", "fs_capacity_bytes")]
    [InlineData(",\"timeout\":0", "timeout")]
    [InlineData(",\"timeout\":601", "timeout")]
    [InlineData(",\"timeout\":\"30\"", "timeout")]
    [InlineData(",\"wait_for_ready\":\"yes\"", "wait_for_ready")]
    [InlineData(",\"ttl_seconds\":-1", "ttl_seconds")]
    [InlineData(",\"idle_ttl_seconds\":\"60\"", "idle_ttl_seconds")]
    [InlineData(",\"env\":{\"A\":1}", "env")]
    [InlineData(",\"env\":{\"1BAD\":\"x\"}", "env")]
    [InlineData(",\"env\":[\"A=1\"]", "env")]
    [InlineData(",\"template_name\":5", "template_name")]
    public async Task Bad_field_is_422_naming_it(string extra, string field)
    {
        var name = Names.New("bad");
        // A later duplicate key wins in most parsers; put the bad field first for template_name.
        var body = field == "template_name" ? $"{{\"name\":\"{name}\"{extra}}}" : Body(name, extra);
        var r = await CreateExpectingNothingAsync(body, name);
        r.ExpectValidation(field);
        Assert.Equal("body", r.Locs[0][0]);
    }

    [Fact]
    public async Task Wrong_type_says_which_type()
    {
        var name = Names.New("type");
        var r = await CreateExpectingNothingAsync(Body(name, ",\"vcpus\":\"two\""), name);
        r.ExpectValidation("vcpus");
        var type = r.Json.GetProperty("detail")[0].Str("type");
        Assert.Contains("int", type);
    }

    [Theory]
    [InlineData("{\"template_name\": \"base\", ")]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\"a string\"")]
    [InlineData("")]
    public async Task Malformed_json_is_422_at_body(string body)
    {
        var r = await CreateExpectingNothingAsync(body);
        r.Expect(422);
        Assert.Equal("body", r.Locs[0][0]);
    }

    [Fact]
    public async Task Malformed_json_type_is_json_invalid()
    {
        var r = await CreateExpectingNothingAsync("{\"template_name\": ");
        r.ExpectValidation("body");
        Assert.Equal("json_invalid", r.Json.GetProperty("detail")[0].Str("type"));
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        var name = Names.New("big");
        var pad = new string('a', 1200 * 1024);
        var r = await CreateExpectingNothingAsync(Body(name, $",\"padding\":\"{pad}\""), name);
        r.ExpectError(413, "PayloadTooLarge");
        (await Api.SendAsync(S.Anonymous, HttpMethod.Get, "healthz")).Expect(200);
    }

    [Fact]
    public async Task Body_just_under_the_limit_is_accepted()
    {
        var name = Names.New("under");
        var pad = new string('a', 900 * 1024);
        var r = await S.PostAsync(Api.Boxes, Body(name, $",\"padding\":\"{pad}\"")); // unknown fields are ignored
        if (r.Code == 201) S.Track(r.Json.Str("id"));
        await S.DeleteAsync(Api.Box(name));
        r.Expect(201);
    }

    [Theory]
    [InlineData("sort_by=bogus", "sort_by")]
    [InlineData("sort_direction=sideways", "sort_direction")]
    [InlineData("status=sleeping", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("offset=-1", "offset")]
    public async Task Bad_list_query_is_422_naming_it(string query, string field)
    {
        var r = await S.GetAsync($"{Api.Boxes}?{query}");
        r.ExpectValidation(field);
        Assert.Equal(["query", field], r.Locs[0]);
    }

    [Fact]
    public async Task Bad_patch_is_422_and_changes_nothing()
    {
        await using var box = await Box.CreateAsync(S, tag: "badpatch");
        (await S.PatchAsync(box.Path, "{\"name\": 5}")).ExpectValidation("name");
        (await S.PatchAsync(box.Path, "{\"ttl_seconds\": -5}")).ExpectValidation("ttl_seconds");
        (await S.PatchAsync(box.Path, "{\"name\": ")).Expect(422);
        var j = (await S.GetAsync(box.Path)).Expect(200).Json;
        Assert.Equal(box.Name, j.Str("name"));
        Assert.Equal("ready", j.Str("status"));
    }

    [Fact]
    public async Task Exec_timeout_out_of_range_is_422()
    {
        await using var box = await Box.CreateAsync(S, tag: "exto");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["timeout"] = -1 })).ExpectValidation("timeout");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["timeout"] = "soon" })).ExpectValidation("timeout");
        (await S.ExecRawAsync(box.DataplaneUrl, "{\"command\": ")).Expect(422);
    }

    [Fact]
    public async Task Nothing_ever_answers_500()
    {
        // A sweep of odd inputs across routes: all must be 4xx.
        var name = Names.New("sweep");
        var ids = await S.SandboxIdsAsync();
        var cases = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Post, Api.Boxes, "null"),
            (HttpMethod.Post, Api.Boxes, "{\"template_name\": null, \"name\": 5}"),
            (HttpMethod.Post, Api.Boxes, $"{{\"template_name\": \"base\", \"name\": \"{name}\", \"snapshot_id\": \"x\"}}"),
            (HttpMethod.Post, Api.Boxes, $"{{\"template_name\": \"base\", \"name\": \"{name}\", \"vcpus\": 1e300}}"),
            (HttpMethod.Post, Api.Boxes, $"{{\"template_name\": \"base\", \"name\": \"{name}\", \"mem_bytes\": 99999999999999999999999}}"),
            (HttpMethod.Post, Api.Templates, "{\"name\": \"x\"}"),
            (HttpMethod.Post, Api.Templates, "{\"name\": \"Bad\", \"image\": \"host\", \"resources\": {\"cpu\": \"1\", \"memory\": \"1Gi\"}}"),
            (HttpMethod.Post, Api.Templates, "{\"name\": \"okname\", \"image\": \"host\", \"resources\": \"big\"}"),
            (HttpMethod.Patch, $"{Api.Templates}/base", "{\"name\": \"BAD\"}"),
            (HttpMethod.Get, $"{Api.Boxes}/{Uri.EscapeDataString("../../etc")}", null),
        };
        foreach (var (method, path, body) in cases)
        {
            var r = await Api.SendAsync(S.Http, method, path, body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(r.Code is >= 400 and < 500, $"{method} {path} {body}: expected 4xx, got {r}");
        }
        Assert.Equal(ids, await S.SandboxIdsAsync());
        (await S.GetAsync($"{Api.Templates}/base")).Expect(200);
    }
}
