using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// leap0's <c>/v1</c> on the real server: its auth headers, its error bodies, and create/get/delete in both generations
/// of its create body, beside the LangSmith routes (which keep their own auth and errors).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0SandboxTests(ServerFixture fixture)
{
    private const string SandboxPath = "/v1/sandbox/{sandboxID}/";
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Accepts_the_key_as_leap0s_sdks_send_it_and_refuses_others_with_leap0s_errors()
    {
        foreach (var header in new[] { ("authorization", $"Bearer {S.ApiKey}"), ("authorization", S.ApiKey), ("leap0-authorization", $"Bearer {S.ApiKey}"), ("leap0-authorization", S.ApiKey) })
        {
            using var http = new HttpClient { BaseAddress = S.BaseUrl };
            http.DefaultRequestHeaders.TryAddWithoutValidation(header.Item1, header.Item2);
            (await http.L0GetAsync("v1/sandbox/no-such-id/")).ExpectLeap0Error(404).Conforms("GET", SandboxPath);
        }
        (await S.Anonymous.L0GetAsync("v1/sandbox/no-such-id/")).ExpectLeap0Error(401).Conforms("GET", SandboxPath);
        using (var wrong = Leap0Api.Client(S, "Bearer not-the-key"))
            (await wrong.L0GetAsync("v1/sandbox/no-such-id/")).ExpectLeap0Error(401).Conforms("GET", SandboxPath);
        // The LangSmith routes keep X-Api-Key: a bearer token does not open them.
        using var bearer = Leap0Api.Client(S);
        (await bearer.L0GetAsync("v2/sandboxes/boxes")).Expect(401);
        Assert.NotNull((await bearer.L0GetAsync("v1/no-such-route")).ExpectLeap0Error(404));
    }

    [Fact]
    public async Task Creates_gets_and_deletes_a_sandbox_with_and_without_the_trailing_slash()
    {
        using var http = Leap0Api.Client(S);
        var created = (await http.L0PostAsync("v1/sandbox/", new { template_name = "system/debian:bookworm", vcpu = 2, memory = 768, timeout = 600, env_vars = new { GREETING = "hi" } })).Expect(201).Conforms("POST", "/v1/sandbox/").Json;
        var id = created.Str("id");
        try
        {
            Assert.Contains(created.Str("state"), new[] { "starting", "running" });
            Assert.Equal("system/debian:bookworm", created.Str("template_id"));
            Assert.Equal(2, created.GetProperty("vcpu").GetInt32());
            Assert.Equal(768, created.GetProperty("memory").GetInt64());
            Assert.Equal(768, created.GetProperty("memory_mib").GetInt64());
            Assert.Equal(600, created.GetProperty("timeout").GetInt64());
            Assert.False(created.GetProperty("auto_pause").GetBoolean());
            Assert.True(created.GetProperty("disk").GetInt64() > 0);

            await Poll.UntilAsync(() => http.L0GetAsync($"v1/sandbox/{id}/"), r => r.Json.Str("state") == "running", TimeSpan.FromSeconds(60), "running");
            Assert.Equal(id, (await http.L0GetAsync($"v1/sandbox/{id}")).Expect(200).Conforms("GET", SandboxPath).Json.Str("id"));
            // The same sandbox on the LangSmith routes, with the limits leap0 asked for.
            var box = (await S.GetAsync("v2/sandboxes/boxes?limit=100")).Expect(200).Json.GetProperty("sandboxes").EnumerateArray().Single(b => b.Str("id") == id);
            Assert.Equal(768L << 20, box.GetProperty("mem_bytes").GetInt64());
            Assert.Equal(600, box.GetProperty("ttl_seconds").GetInt64());
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}/")).Expect(204).Conforms("DELETE", SandboxPath);
        }
        (await http.L0GetAsync($"v1/sandbox/{id}/")).ExpectLeap0Error(404).Conforms("GET", SandboxPath);
        (await http.L0DeleteAsync($"v1/sandbox/{id}/")).ExpectLeap0Error(404).Conforms("DELETE", SandboxPath);
    }

    [Fact]
    public async Task Takes_the_seed_generations_memory_mib_and_timeout_min()
    {
        using var http = Leap0Api.Client(S);
        var created = (await http.L0PostAsync("v1/sandbox", new { template_name = "system/debian:bookworm", memory_mib = 512, timeout_min = 2 })).Expect(201).Conforms("POST", "/v1/sandbox/").Json;
        try
        {
            Assert.Equal(512, created.GetProperty("memory_mib").GetInt64());
            Assert.Equal(120, created.GetProperty("timeout").GetInt64());
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{created.Str("id")}")).Expect(204).Conforms("DELETE", SandboxPath);
        }
    }

    [Theory]
    [InlineData("{\"vcpu\":9}", "vcpu")]
    [InlineData("{\"vcpu\":0}", "vcpu")]
    [InlineData("{\"memory\":513}", "memory")]
    [InlineData("{\"memory\":256}", "memory")]
    [InlineData("{\"memory_mib\":9000}", "memory_mib")]
    [InlineData("{\"memory\":1024,\"memory_mib\":1024}", "memory_mib")]
    [InlineData("{\"timeout\":28801}", "timeout")]
    [InlineData("{\"timeout_min\":481}", "timeout_min")]
    [InlineData("{\"env_vars\":{\"1X\":\"a\"}}", "env_vars")]
    [InlineData("{\"network_policy\":{\"mode\":\"sometimes\"}}", "network_policy.mode")]
    [InlineData("{\"network_policy\":{\"mode\":\"custom\",\"transforms\":[{\"domain\":\"x.com\"}]}}", "network_policy.transforms")]
    [InlineData("{\"mounts\":[{\"type\":\"object-storage\",\"bucket\":\"b\",\"mount_path\":\"/mnt/b\",\"endpoint\":\"https://s3\"}]}", "mounts")]
    [InlineData("{\"otel_export\":true}", "otel_export")]
    [InlineData("{\"auto_pause\":\"yes\"}", "auto_pause")]
    public async Task Refuses_bad_creates_with_a_400_naming_the_field(string body, string field)
    {
        using var http = Leap0Api.Client(S);
        var before = await S.SandboxIdsAsync();
        var r = await Api.SendAsync(http, HttpMethod.Post, "v1/sandbox", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        r.ExpectLeap0Field(field);
        r.Conforms("POST", "/v1/sandbox/");
        Assert.Equal(before, await S.SandboxIdsAsync());
    }

    [Fact]
    public async Task An_unknown_template_and_a_broken_body_are_400()
    {
        using var http = Leap0Api.Client(S);
        Assert.Contains("no-such-template", (await http.L0PostAsync("v1/sandbox", new { template_name = "no-such-template" })).ExpectLeap0Error(400).Conforms("POST", "/v1/sandbox/").Json.Str("message"));
        var r = await Api.SendAsync(http, HttpMethod.Post, "v1/sandbox", new StringContent("{\"vcpu\":", System.Text.Encoding.UTF8, "application/json"));
        r.ExpectLeap0Error(400).Conforms("POST", "/v1/sandbox/");
    }
}
