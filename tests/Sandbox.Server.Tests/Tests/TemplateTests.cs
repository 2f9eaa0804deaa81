using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class TemplateTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private static JsonObject Template(string name, string image = "host", string cpu = "500m", string memory = "256Mi") =>
        new() { ["name"] = name, ["image"] = image, ["resources"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory } };

    private async Task<List<JsonElement>> ListTemplatesAsync(string query = "") =>
        (await S.GetAsync($"{Api.Templates}?limit=1000{query}")).Expect(200).Json.GetProperty("templates").EnumerateArray().ToList();

    [Fact]
    public async Task Base_and_python_templates_are_seeded_with_image_host()
    {
        var all = await ListTemplatesAsync();
        foreach (var name in new[] { "base", "python" })
        {
            var t = all.SingleOrDefault(x => x.Str("name") == name);
            Assert.True(t.ValueKind == JsonValueKind.Object, $"template '{name}' not listed: {JsonSerializer.Serialize(all)}");
            Assert.Equal("host", t.Str("image"));
            var got = (await S.GetAsync($"{Api.Templates}/{name}")).Expect(200).Json;
            Assert.Equal(name, got.Str("name"));
            Assert.True(Guid.TryParse(got.Str("id"), out _), $"id is not a UUID: {got}");
            Assert.Equal(JsonValueKind.Object, got.GetProperty("resources").ValueKind);
            Assert.False(string.IsNullOrEmpty(got.GetProperty("resources").Str("cpu")));
            Assert.False(string.IsNullOrEmpty(got.GetProperty("resources").Str("memory")));
        }
    }

    [Fact]
    public async Task Create_get_list_rename_delete()
    {
        var name = Names.New("tpl");
        var created = (await S.PostAsync(Api.Templates, Template(name, cpu: "1", memory: "512Mi"))).Expect(201).Json;
        var renamed = name + "-r";
        try
        {
            Assert.Equal(name, created.Str("name"));
            Assert.Equal("host", created.Str("image"));
            Assert.Equal("1", created.GetProperty("resources").Str("cpu"));
            Assert.Equal("512Mi", created.GetProperty("resources").Str("memory"));
            foreach (var field in new[] { "id", "name", "image", "resources", "volume_mounts", "created_at", "updated_at" })
                Assert.True(created.TryGetProperty(field, out _), $"template lacks '{field}': {created}");
            Assert.True(Guid.TryParse(created.Str("id"), out _));
            Assert.Equal(JsonValueKind.Array, created.GetProperty("volume_mounts").ValueKind);

            var got = (await S.GetAsync($"{Api.Templates}/{name}")).Expect(200).Json;
            Assert.Equal(created.Str("id"), got.Str("id"));

            var listed = await ListTemplatesAsync($"&name_contains={name}");
            Assert.Equal([name], listed.Select(t => t.Str("name")));

            var patched = (await S.PatchAsync($"{Api.Templates}/{name}", new { name = renamed })).Expect(200).Json;
            Assert.Equal(renamed, patched.Str("name"));
            Assert.Equal(created.Str("id"), patched.Str("id"));
            (await S.GetAsync($"{Api.Templates}/{name}")).Expect(404);
            (await S.GetAsync($"{Api.Templates}/{renamed}")).Expect(200);

            // A sandbox can be made from it and gets its resources.
            await using (var box = await Box.CreateAsync(S, template: renamed, tag: "fromtpl"))
            {
                Assert.Equal(renamed, box.Created.Str("template_name"));
                Assert.Equal(512L * 1024 * 1024, box.Created.GetProperty("mem_bytes").GetInt64());
                Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
            }

            (await S.DeleteAsync($"{Api.Templates}/{renamed}")).Expect(204);
            (await S.GetAsync($"{Api.Templates}/{renamed}")).Expect(404);
            Assert.Empty(await ListTemplatesAsync($"&name_contains={name}"));
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{name}");
            await S.DeleteAsync($"{Api.Templates}/{renamed}");
        }
    }

    [Theory]
    [InlineData("docker.io/library/ubuntu:latest")]
    [InlineData("rootfs:relative/dir")]
    [InlineData("")]
    public async Task Bad_image_is_422_naming_image(string image)
    {
        var name = Names.New("badimg");
        var r = await S.PostAsync(Api.Templates, Template(name, image: image));
        await S.DeleteAsync($"{Api.Templates}/{name}");
        r.ExpectValidation("image");
        (await S.GetAsync($"{Api.Templates}/{name}")).Expect(404);
    }

    [Theory]
    [InlineData("lots", "512Mi", "cpu")]
    [InlineData("-1", "512Mi", "cpu")]
    [InlineData("500m", "twelve", "memory")]
    [InlineData("500m", "512Qi", "memory")]
    public async Task Bad_quantity_is_422_naming_the_resource(string cpu, string memory, string field)
    {
        var name = Names.New("badq");
        var r = await S.PostAsync(Api.Templates, Template(name, cpu: cpu, memory: memory));
        await S.DeleteAsync($"{Api.Templates}/{name}");
        r.ExpectValidation(field);
        (await S.GetAsync($"{Api.Templates}/{name}")).Expect(404);
    }

    [Fact]
    public async Task Duplicate_name_is_409()
    {
        var name = Names.New("dup");
        (await S.PostAsync(Api.Templates, Template(name))).Expect(201);
        try
        {
            var again = await S.PostAsync(Api.Templates, Template(name, cpu: "2"));
            again.ExpectError(409, "TemplateAlreadyExists");
            Assert.Equal("500m", (await S.GetAsync($"{Api.Templates}/{name}")).Expect(200).Json.GetProperty("resources").Str("cpu"));
            // Renaming onto a taken name is a conflict too.
            var other = Names.New("dup2");
            (await S.PostAsync(Api.Templates, Template(other))).Expect(201);
            try
            {
                (await S.PatchAsync($"{Api.Templates}/{other}", new { name })).Expect(409);
            }
            finally
            {
                await S.DeleteAsync($"{Api.Templates}/{other}");
            }
            (await S.PostAsync(Api.Templates, Template("base"))).Expect(409);
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{name}");
        }
    }

    [Fact]
    public async Task Delete_while_in_use_is_409_and_works_after()
    {
        var name = Names.New("inuse");
        (await S.PostAsync(Api.Templates, Template(name))).Expect(201);
        try
        {
            var box = await Box.CreateAsync(S, template: name, tag: "inuse");
            await using (box)
            {
                (await S.DeleteAsync($"{Api.Templates}/{name}")).ExpectError(409, "TemplateInUse");
                (await S.GetAsync($"{Api.Templates}/{name}")).Expect(200);
                Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
            }
            (await S.DeleteAsync($"{Api.Templates}/{name}")).Expect(204);
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{name}");
        }
    }

    [Fact]
    public async Task Missing_template_is_404()
    {
        var name = Names.New("nosuch");
        (await S.GetAsync($"{Api.Templates}/{name}")).ExpectError(404, "TemplateNotFound");
        (await S.PatchAsync($"{Api.Templates}/{name}", new { name = name + "x" })).Expect(404);
        (await S.DeleteAsync($"{Api.Templates}/{name}")).Expect(404);
    }

    [Fact]
    public async Task Rootfs_image_is_the_sandbox_root()
    {
        // A minimal root filesystem: bash and its libraries, and a marker file that is not on the host.
        var rootfs = Path.Combine("/var/tmp/sandbox-server-tests", "rootfs-" + Guid.NewGuid().ToString("N")[..8]);
        var marker = "rootfs-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(rootfs);
        var name = Names.New("rootfs");
        try
        {
            var libs = LddDeps("/bin/bash");
            foreach (var file in libs.Append("/bin/bash").Append("/usr/bin/bash"))
            {
                if (!File.Exists(file)) continue;
                var target = rootfs + file;
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target, overwrite: true);
                File.SetUnixFileMode(target, File.GetUnixFileMode(file));
            }
            foreach (var dir in new[] { "proc", "dev", "tmp", "home/user", "etc" }) Directory.CreateDirectory(Path.Combine(rootfs, dir));
            File.WriteAllText(Path.Combine(rootfs, "marker"), marker);

            (await S.PostAsync(Api.Templates, Template(name, image: "rootfs:" + rootfs))).Expect(201);
            await using var box = await Box.CreateAsync(S, template: name, tag: "rootfs");
            var r = await box.ExecAsync("echo \"$(< /marker)\"; [ -e /usr/bin/python3 ] && echo has-python || echo no-python");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal($"{marker}\nno-python", r.Out);
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{name}");
            try { Directory.Delete(rootfs, true); } catch (IOException) { }
        }
    }

    private static IEnumerable<string> LddDeps(string binary)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ldd", binary) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        foreach (var line in text.Split('\n'))
        {
            foreach (var word in line.Split(' ', '\t'))
                if (word.StartsWith('/')) yield return word;
        }
    }
}
