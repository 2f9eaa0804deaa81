using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's templates on the real server: create from a built-in or a local OCI layout, list, rename, delete; every response checked against leap0's OpenAPI.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0TemplateTests(ServerFixture fixture)
{
    private const string CreatePath = "/v1/template", TemplatePath = "/v1/template/{templateID}";
    private ServerProcess S => fixture.Server;

    private static async Task<List<JsonElement>> ListAsync(HttpClient http)
    {
        // GET /v1/templates is not in leap0's spec: its items are checked against the create answer's schema.
        var items = (await http.L0GetAsync("v1/templates")).Expect(200).Json.GetProperty("items").EnumerateArray().ToList();
        Assert.All(items, i => Assert.Empty(Leap0Contract.Validate(i, Leap0Contract.SchemaRef("UploadTemplateResponse"))));
        return items;
    }

    private async Task<string> RunInNewSandboxAsync(HttpClient http, string template, string command)
    {
        var id = await http.CreateTrackedAsync(S, new { template_name = template });
        try
        {
            return (await http.L0PostAsync($"v1/sandbox/{id}/process/execute", new { command })).Expect(200).Json.Str("stdout");
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Fact]
    public async Task Creates_from_a_built_in_lists_renames_and_deletes_and_the_built_ins_are_system_templates()
    {
        using var http = Leap0Api.Client(S);
        var name = Names.New("l0tpl");
        var created = (await http.L0PostAsync("v1/template", new { name, uri = "system/debian:bookworm" })).Expect(201).Conforms("POST", CreatePath).Json;
        var id = created.Str("id");
        Assert.Equal(name, created.Str("name"));
        Assert.False(created.GetProperty("is_system").GetBoolean());
        (await http.L0PostAsync("v1/template/", new { name, uri = "system/python" })).ExpectLeap0Error(409).Conforms("POST", CreatePath);

        var items = await ListAsync(http);
        Assert.Contains(items, i => i.Str("id") == id && i.Str("name") == name);
        Assert.True(items.Single(i => i.Str("name") == "system/debian:bookworm").GetProperty("is_system").GetBoolean());
        var python = items.Single(i => i.Str("name") == "system/python");
        Assert.True(python.GetProperty("is_system").GetBoolean());
        // System templates: neither renamed nor deleted (leap0's 409).
        (await http.L0PatchAsync($"v1/template/{python.Str("id")}", new { name = "mine" })).ExpectLeap0Error(409).Conforms("PATCH", TemplatePath);
        (await http.L0DeleteAsync($"v1/template/{python.Str("id")}")).ExpectLeap0Error(409).Conforms("DELETE", TemplatePath);
        Assert.Equal("sys\n", await RunInNewSandboxAsync(http, "system/python", "echo sys"));

        var renamed = name + "-r";
        (await http.L0PatchAsync($"v1/template/{id}/", new { name = renamed })).Expect(204).Conforms("PATCH", TemplatePath);
        Assert.Contains(await ListAsync(http), i => i.Str("id") == id && i.Str("name") == renamed);
        Assert.Equal("ok\n", await RunInNewSandboxAsync(http, renamed, "echo ok"));
        (await http.L0PostAsync("v1/sandbox", new { template_name = name })).ExpectLeap0Field("template_name");

        // In use by a sandbox: 409 until it is gone.
        var sandbox = await http.CreateTrackedAsync(S, new { template_name = renamed });
        (await http.L0DeleteAsync($"v1/template/{id}")).ExpectLeap0Error(409).Conforms("DELETE", TemplatePath);
        (await http.L0DeleteAsync($"v1/sandbox/{sandbox}")).Expect(204);
        (await http.L0DeleteAsync($"v1/template/{id}/")).Expect(204).Conforms("DELETE", TemplatePath);
        Assert.DoesNotContain(await ListAsync(http), i => i.Str("id") == id);
        (await http.L0DeleteAsync($"v1/template/{id}")).ExpectLeap0Error(404).Conforms("DELETE", TemplatePath);
        (await http.L0PatchAsync($"v1/template/{id}", new { name = "x" })).ExpectLeap0Error(404).Conforms("PATCH", TemplatePath);
    }

    [Fact]
    public async Task Creates_from_a_local_oci_layout_and_deleting_it_removes_the_unpacked_image()
    {
        using var http = Leap0Api.Client(S);
        var dir = Directory.CreateTempSubdirectory("l0-oci-").FullName;
        try
        {
            ImageBuilder.WriteOciLayout(dir, [ImageBuilder.BaseLayer(), ImageBuilder.ChangeLayer()]);
            var name = Names.New("l0oci");
            var created = (await http.L0PostAsync("v1/template", new { name, uri = dir })).Expect(201).Conforms("POST", CreatePath).Json;
            Assert.Matches("^sha256:[0-9a-f]{64}$", created.Str("digest"));
            var imports = Path.Combine(S.DataDir, "leap0-templates");
            Assert.Single(Directory.GetDirectories(imports));
            Assert.Equal("keep\nhello\n", await RunInNewSandboxAsync(http, name, "cat /etc/keep.txt /etc/hello.txt; test -e /usr/bin/bash && echo host-visible; true"));
            Assert.Equal(created.Str("digest"), (await ListAsync(http)).Single(i => i.Str("name") == name).Str("digest"));
            (await http.L0DeleteAsync($"v1/template/{created.Str("id")}")).Expect(204).Conforms("DELETE", TemplatePath);
            Assert.Empty(Directory.GetDirectories(imports));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Refuses_bad_templates_naming_the_field()
    {
        using var http = Leap0Api.Client(S);
        var broken = Directory.CreateTempSubdirectory("l0-bad-oci-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(broken, "index.json"), "{\"manifests\": 5}");
            foreach (var (body, field, says) in new (object, string, string)[]
            {
                (new { name = "a", uri = "docker.io/library/python:3.12", credentials = new { type = "basic", username = "u", password = "p" } }, "credentials", "not supported by the local server"),
                (new { name = "a", uri = "docker.io/library/python:3.12" }, "uri", "not supported by the local server"),
                (new { name = "a", uri = "/no/such/image" }, "uri", "holds no image"),
                (new { name = "a", uri = broken }, "uri", "could not be imported"),
                (new { name = "a", uri = "" }, "uri", "1-500"),
                (new { name = "a", uri = new string('a', 501) }, "uri", "1-500"),
                (new { name = "a" }, "uri", "required"),
                (new { name = "system/mine", uri = "system/python" }, "name", "reserved"),
                (new { name = "Has Spaces", uri = "system/python" }, "name", "lowercase"),
                (new { uri = "system/python" }, "name", "required"),
            })
            {
                var r = (await http.L0PostAsync("v1/template", body)).Conforms("POST", CreatePath);
                r.ExpectLeap0Field(field);
                Assert.Contains(says, r.Json.Str("message"));
            }
            Assert.Empty(Directory.Exists(Path.Combine(S.DataDir, "leap0-templates")) ? Directory.GetDirectories(Path.Combine(S.DataDir, "leap0-templates")) : []);

            var name = Names.New("l0tplbad");
            var id = (await http.L0PostAsync("v1/template", new { name, uri = "base" })).Expect(201).Json.Str("id");
            foreach (var body in new object[] { new { }, new { name = "Bad Name" }, new { name = "system/x" }, new { name = 3 } })
                (await http.L0PatchAsync($"v1/template/{id}", body)).Conforms("PATCH", TemplatePath).ExpectLeap0Field("name");
            (await http.L0PatchAsync($"v1/template/{id}", new { name = "python" })).ExpectLeap0Error(409).Conforms("PATCH", TemplatePath);
            (await http.L0DeleteAsync($"v1/template/{id}")).Expect(204);
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }
}
