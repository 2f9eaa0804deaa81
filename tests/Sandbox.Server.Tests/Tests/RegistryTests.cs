using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Registries against the real server: CRUD, the password kept in a 0600 file of the data dir and never in any answer
/// (nor in state.db), and snapshots naming a registry (the local server pulls nothing: they fail saying so).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class RegistryTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Registries = "api/v2/sandboxes/registries";

    private string PasswordFile(string id) => Path.Combine(S.DataDir, "registries", id + ".password");

    [Fact]
    public async Task Crud_keeps_the_password_in_a_private_file_and_never_answers_it()
    {
        var name = Names.New("reg");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var answers = new List<Resp>();
        async Task<Resp> Seen(Task<Resp> call)
        {
            var r = await call;
            answers.Add(r);
            return r;
        }

        var created = (await Seen(S.PostAsync(Registries, new { name, url = "ghcr.io/acme", username = "robot", password }))).Expect(201).Json;
        var id = created.Str("id");
        Assert.Equal(name, created.Str("name"));
        Assert.Equal("ghcr.io/acme", created.Str("url"));
        Assert.Equal("DOCKER_CONFIG", created.Str("auth_type"));
        Assert.False(created.TryGetProperty("password", out _));
        Assert.False(created.TryGetProperty("username", out _));

        var file = PasswordFile(id);
        Assert.Equal(password, await File.ReadAllTextAsync(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));

        Assert.Equal(id, (await Seen(S.GetAsync($"{Registries}/{name}"))).Expect(200).Json.Str("id"));
        var listed = (await Seen(S.GetAsync($"{Registries}?name_contains={name}"))).Expect(200).Json;
        Assert.Equal([id], listed.GetProperty("registries").EnumerateArray().Select(r => r.Str("id")));
        Assert.Equal([id], listed.GetProperty("items").EnumerateArray().Select(r => r.Str("id")));
        (await Seen(S.PostAsync(Registries, new { name, url = "ghcr.io/acme", username = "robot", password }))).ExpectError(409, "RegistryAlreadyExists");

        // PATCH: a new name and password; the file follows, the id stays.
        var renamed = Names.New("reg2");
        var newPassword = "pw2-" + Guid.NewGuid().ToString("N");
        var patched = (await Seen(S.PatchAsync($"{Registries}/{name}", new { name = renamed, password = newPassword }))).Expect(200).Json;
        Assert.Equal(id, patched.Str("id"));
        Assert.Equal(newPassword, await File.ReadAllTextAsync(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        (await Seen(S.GetAsync($"{Registries}/{name}"))).ExpectError(404, "RegistryNotFound");

        // A snapshot naming the registry: a failed snapshot saying nothing is pulled.
        var snap = (await Seen(S.PostAsync("v2/sandboxes/snapshots", new { name = Names.New("reg-snap"), docker_image = "ghcr.io/acme/app:1", fs_capacity_bytes = 1L << 30, registry_id = id }))).Expect(201).Json;
        Assert.Equal("failed", snap.Str("status"));
        Assert.Equal(id, snap.Str("registry_id"));
        Assert.Contains("pulls no images", snap.Str("status_message"));
        (await S.DeleteAsync($"v2/sandboxes/snapshots/{snap.Str("id")}")).Expect(204);

        foreach (var r in answers)
        {
            Assert.DoesNotContain(password, r.Text);
            Assert.DoesNotContain(newPassword, r.Text);
        }
        Assert.DoesNotContain(newPassword, await File.ReadAllTextAsync(Path.Combine(S.DataDir, "state.db"), System.Text.Encoding.Latin1));
        Assert.DoesNotContain(password, S.Log);
        Assert.DoesNotContain(newPassword, S.Log);

        (await S.DeleteAsync($"{Registries}/{renamed}")).Expect(204);
        Assert.False(File.Exists(file));
        (await S.DeleteAsync($"{Registries}/{renamed}")).ExpectError(404, "RegistryNotFound");
    }

    [Theory]
    [InlineData("{\"url\":\"ghcr.io\",\"username\":\"u\",\"password\":\"p\"}", "name")]
    [InlineData("{\"name\":\"Bad_Name\",\"url\":\"ghcr.io\",\"username\":\"u\",\"password\":\"p\"}", "name")]
    [InlineData("{\"name\":\"t-reg-x\",\"username\":\"u\",\"password\":\"p\"}", "url")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"https://u:p@ghcr.io\",\"username\":\"u\",\"password\":\"p\"}", "url")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"ftp://ghcr.io\",\"username\":\"u\",\"password\":\"p\"}", "url")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"ghcr.io\",\"password\":\"p\"}", "username")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"ghcr.io\",\"username\":\"u\"}", "password")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"ghcr.io\",\"username\":\"u\",\"password\":\"\"}", "password")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"ghcr.io\",\"username\":\"u\",\"password\":\"p\",\"auth_type\":\"AWS_ROLE\"}", "auth_type")]
    [InlineData("{\"name\":\"t-reg-x\",\"url\":\"ghcr.io\",\"username\":\"u\",\"password\":\"p\",\"aws_role_arn\":\"arn:aws:iam::1:role/x\"}", "aws_role_arn")]
    public async Task Bad_registries_are_422_value_errors_naming_the_field_and_echo_no_secret(string body, string field)
    {
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, Registries, Api.JsonBody(body));
        r.ExpectValidation(field);
        // A missing field is "missing"; every check of a value is a value_error.
        Assert.All(r.Json.GetProperty("detail").EnumerateArray(), d => Assert.Contains(d.Str("type"), new[] { "value_error", "missing" }));
        Assert.Contains(r.Json.GetProperty("detail").EnumerateArray(), d => d.Str("type") == (body.Contains($"\"{field}\"") ? "value_error" : "missing"));
        Assert.False(Directory.Exists(Path.Combine(S.DataDir, "registries")) && Directory.EnumerateFiles(Path.Combine(S.DataDir, "registries")).Any(f => File.ReadAllText(f) == "p"));
    }

    [Fact]
    public async Task Patch_checks_the_body_and_a_missing_registry_is_404()
    {
        (await S.PatchAsync($"{Registries}/no-such-registry", new { url = "ghcr.io" })).ExpectError(404, "RegistryNotFound");
        var name = Names.New("reg-p");
        (await S.PostAsync(Registries, new { name, url = "registry.example.com:5000/team", username = "u", password = "p1" })).Expect(201);
        try
        {
            (await S.PatchAsync($"{Registries}/{name}", new JsonObject { ["url"] = "not a url" })).ExpectValidation("url");
            (await S.PatchAsync($"{Registries}/{name}", new JsonObject { ["auth_type"] = "AWS_ROLE" })).ExpectValidation("auth_type");
        }
        finally
        {
            (await S.DeleteAsync($"{Registries}/{name}")).Expect(204);
        }
    }
}
