using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// What the hosted API does and the local server cannot (remote mounts, proxy rules and callbacks, access delegation,
/// LangSmith logins, memory snapshots): each is a 422 <c>value_error</c> naming the field and saying so, never ignored.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class UnsupportedFeatureTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Theory]
    [InlineData("\"mount_config\":{\"mounts\":[{\"id\":\"m\",\"type\":\"s3\",\"mount_path\":\"/mnt\",\"s3\":{\"bucket\":\"b\"}}]}", "mount_config")]
    [InlineData("\"mount_config\":{\"mounts\":[{\"id\":\"g\",\"type\":\"git\",\"mount_path\":\"/src\",\"git\":{\"remote_url\":\"https://x/y.git\"}}]}", "mount_config")]
    [InlineData("\"access_delegation\":{\"mode\":\"INHERIT\"}", "access_delegation")]
    [InlineData("\"preserve_memory_on_stop\":true", "preserve_memory_on_stop")]
    [InlineData("\"restore_memory\":true", "restore_memory")]
    [InlineData("\"persistent\":false", "persistent")]
    [InlineData("\"tag_value_ids\":[\"t\"]", "tag_value_ids")]
    [InlineData("\"volumes\":[{\"volume\":\"v\",\"mount_path\":\"/data\"}]", "volumes")]
    [InlineData("\"cpu_millicores\":5", "cpu_millicores")]
    [InlineData("\"proxy_config\":{\"rules\":[{\"name\":\"r\",\"match_hosts\":[\"api.x.com\"],\"headers\":[{\"name\":\"A\",\"type\":\"plaintext\",\"value\":\"b\"}]}]}", "rules")]
    [InlineData("\"proxy_config\":{\"callbacks\":[{\"match_hosts\":[\"x.com\"],\"ttl_seconds\":60,\"url\":\"https://cb\"}]}", "callbacks")]
    [InlineData("\"proxy_config\":{\"access_control\":{\"allow_list\":[\"~.*\\\\.x\\\\.com\"]}}", "allow_list")]
    [InlineData("\"proxy_config\":{\"access_control\":{\"allow_list\":[\"x.com\"],\"deny_list\":[\"y.com\"]}}", "deny_list")]
    [InlineData("\"proxy_config\":{\"access_control\":{\"deny_list\":[\"fd00::1\"]}}", "deny_list")]
    [InlineData("\"proxy_config\":{\"access_control\":{\"deny_list\":[\"not a host\"]}}", "deny_list")]
    [InlineData("\"proxy_config\":{},\"network_policy\":{\"mode\":\"allow-all\"}", "proxy_config")]
    [InlineData("\"labels\":{\"bad key\":\"x\"}", "labels")]
    [InlineData("\"snapshot\":\"name:\"", "snapshot")]
    public async Task Create_fields_the_local_server_cannot_honour_are_422_value_errors(string fields, string field)
    {
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, Api.JsonBody($"{{\"name\":\"{Names.New("unsup")}\",{fields}}}"));
        r.ExpectValidation(field);
        Assert.Contains(r.Json.GetProperty("detail").EnumerateArray(), d => d.Str("type") == "value_error");
        if (field is "mount_config" or "access_delegation" or "rules" or "callbacks" or "preserve_memory_on_stop" or "restore_memory" or "persistent")
            Assert.Contains("not supported by the local server", r.Text);
    }

    [Fact]
    public async Task Cpu_millicores_sets_the_cpu_quota_and_wins_over_vcpus()
    {
        await using var box = await Box.CreateAsync(S, tag: "milli", extra: new System.Text.Json.Nodes.JsonObject { ["cpu_millicores"] = 1500, ["vcpus"] = 1 });
        Assert.Equal(1500, box.Created.GetProperty("cpu_millicores").GetInt64());
        Assert.Equal(2, box.Created.GetProperty("vcpus").GetInt32());
        var cpuDir = HostProbe.CgroupDir(box.Id, "cpu");
        var quota = double.Parse(HostProbe.ReadCgroupFile(cpuDir, "cpu.cfs_quota_us")) / double.Parse(HostProbe.ReadCgroupFile(cpuDir, "cpu.cfs_period_us"));
        Assert.Equal(1.5, quota, 3);
    }

    [Fact]
    public async Task Patch_refuses_them_too_and_service_url_login_modes_are_422()
    {
        await using var box = await Box.CreateAsync(S, tag: "unsup");
        (await S.PatchAsync(box.Path, new { proxy_config = new { callbacks = new[] { new { url = "https://cb", match_hosts = new[] { "x" }, ttl_seconds = 60 } } } })).ExpectValidation("callbacks");
        (await S.PatchAsync(box.Path, new { mount_config = new { mounts = Array.Empty<object>() } })).ExpectValidation("mount_config");
        foreach (var access in new[] { "restricted", "workspace" })
        {
            var r = await S.PostAsync($"{box.Path}/service-url", new { port = 8080, access });
            r.ExpectValidation("access");
            Assert.Contains("not supported by the local server", r.Text);
        }
        (await S.PostAsync($"{box.Path}/service-url", new { port = 8080, access = "public" })).ExpectValidation("access");
        (await S.PostAsync($"{box.Path}/service-url", new { port = 8080, embed_origins = new[] { "https://app.example.com" } })).ExpectValidation("embed_origins");
        // "off" removes a login grant and mints a token: there are no grants here, so it is token mode.
        Assert.False(string.IsNullOrEmpty((await S.PostAsync($"{box.Path}/service-url", new { port = 8080, access = "off" })).Expect(200).Json.Str("token")));
    }

    [Fact]
    public async Task Proxy_config_allow_list_maps_onto_the_network_policy_and_is_echoed()
    {
        await using var box = await Box.CreateAsync(S, tag: "proxy", extra: new System.Text.Json.Nodes.JsonObject
        {
            ["proxy_config"] = System.Text.Json.Nodes.JsonNode.Parse("{\"access_control\":{\"allow_list\":[\"192.0.2.7\",\"198.51.100.0/24\",\"*.Example.com\"]},\"no_proxy\":[\"localhost\"]}"),
        });
        var policy = box.Created.GetProperty("network_policy");
        Assert.Equal("custom", policy.Str("mode"));
        Assert.Equal(["192.0.2.7/32", "198.51.100.0/24"], policy.GetProperty("allow_cidrs").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["*.example.com"], policy.GetProperty("allow_domains").EnumerateArray().Select(c => c.GetString()));
        var echoed = box.Created.GetProperty("proxy_config").GetProperty("access_control").GetProperty("allow_list").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(["192.0.2.7/32", "198.51.100.0/24", "*.example.com"], echoed);

        // PATCH replaces the whole config: a deny list now, then none (the default, deny-all).
        var patched = (await S.PatchAsync(box.Path, System.Text.Json.Nodes.JsonNode.Parse("{\"proxy_config\":{\"access_control\":{\"deny_list\":[\"203.0.113.9\"]}}}"))).Expect(200).Json;
        Assert.Equal("allow-all-except", patched.GetProperty("network_policy").Str("mode"));
        Assert.Equal(["203.0.113.9/32"], patched.GetProperty("network_policy").GetProperty("deny_cidrs").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["203.0.113.9/32"], patched.GetProperty("proxy_config").GetProperty("access_control").GetProperty("deny_list").EnumerateArray().Select(c => c.GetString()));
        var cleared = (await S.PatchAsync(box.Path, new { proxy_config = new { } })).Expect(200).Json;
        Assert.Equal("deny-all", cleared.GetProperty("network_policy").Str("mode"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("proxy_config").ValueKind);
    }
}
