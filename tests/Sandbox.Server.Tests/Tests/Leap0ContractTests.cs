using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>The contract checker itself (no server): it passes leap0's own shapes and catches each kind of break.</summary>
public sealed class Leap0ContractTests
{
    private const string Json = "application/json";
    private const string Get = "GET", Status = "/v1/sandbox/{sandboxID}/";

    private static string Sandbox(Action<JsonObject>? change = null)
    {
        var o = new JsonObject
        {
            ["id"] = "3f1c", ["template_id"] = "system/debian:bookworm", ["vcpu"] = 1, ["memory"] = 1024, ["disk"] = 2048,
            ["timeout"] = 300, ["state"] = "running", ["auto_pause"] = false, ["created_at"] = "2026-02-08T12:34:56.123Z",
        };
        change?.Invoke(o);
        return o.ToJsonString();
    }

    [Fact]
    public void Every_ref_in_the_spec_resolves_and_a_conforming_body_passes()
    {
        var refs = new List<string>();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o)
                foreach (var (k, v) in o) { if (k == "$ref") refs.Add((string)v!); else Walk(v); }
            else if (n is JsonArray a) foreach (var v in a) Walk(v);
        }
        Walk(Leap0Contract.Spec);
        Assert.True(refs.Count > 100, $"{refs.Count} refs");
        Assert.All(refs.Where(r => r.StartsWith("#/components/schemas/")), r => Leap0Contract.Validate(JsonDocument.Parse("null").RootElement, new JsonObject { ["$ref"] = r }));
        Assert.Empty(Leap0Contract.Check(Get, Status, 200, Sandbox(), Json));
        Assert.Empty(Leap0Contract.Check(Get, "/v1/sandbox/{sandboxID}", 200, Sandbox(o => o["created_at"] = "2026-02-08T12:34:56+02:00"), Json));
        Assert.Empty(Leap0Contract.Check(Get, Status, 404, "{\"message\":\"no sandbox\",\"error\":\"NotFound\"}", Json));
        Assert.Empty(Leap0Contract.Check("DELETE", Status, 204, "", null));
    }

    public static TheoryData<string, string> Breaks() => new()
    {
        { Sandbox(o => o.Remove("state")), "required property 'state'" },
        { Sandbox(o => o["vcpu"] = "1"), "$.vcpu: expected integer" },
        { Sandbox(o => o["vcpu"] = 1.5), "$.vcpu: expected integer" },
        { Sandbox(o => o["auto_pause"] = "false"), "$.auto_pause: expected boolean" },
        { Sandbox(o => o["state"] = "ready"), "$.state: \"ready\" is not one of" },
        { Sandbox(o => o["created_at"] = "2026-02-08 12:34:56"), "not an RFC 3339 date-time" },
        { Sandbox(o => o["created_at"] = "2026-02-08T12:34:56"), "not an RFC 3339 date-time" },
        { Sandbox(o => o["timeout"] = 0), "$.timeout: 0 is below the minimum 1" },
        { Sandbox(o => o["timeout"] = 28801), "above the maximum 28800" },
        { Sandbox(o => o["mounts"] = new JsonArray(new JsonObject { ["id"] = 1 })), "$.mounts[0]" },
        { Sandbox(o => o["template_id"] = null), "$.template_id: expected string, got null" },
        { "[]", "$: expected object" },
        { "{\"id\":", "body is not JSON" },
    };

    [Theory]
    [MemberData(nameof(Breaks))]
    public void Catches_each_kind_of_break(string body, string expected)
    {
        var errors = Leap0Contract.Check(Get, Status, 200, body, Json);
        Assert.True(errors.Any(e => e.Contains(expected)), $"wanted '{expected}' in [{string.Join(" | ", errors)}]");
    }

    [Fact]
    public void Checks_nullable_refs_items_oneOf_statuses_and_the_content_type()
    {
        const string create = "/v1/sandbox/";
        Assert.Empty(Leap0Contract.Check("POST", create, 201, Sandbox(o => o["network_policy"] = null), Json));
        Assert.Empty(Leap0Contract.Check("POST", create, 201, Sandbox(o => o["network_policy"] = new JsonObject { ["mode"] = "custom", ["allow_cidrs"] = new JsonArray("10.0.0.0/8") }), Json));
        Assert.Contains(Leap0Contract.Check("POST", create, 201, Sandbox(o => o["network_policy"] = new JsonObject { ["mode"] = "allow-all-except" }), Json), e => e.Contains("$.network_policy.mode"));
        Assert.Contains(Leap0Contract.Check("POST", create, 201, Sandbox(o => o["network_policy"] = new JsonObject { ["mode"] = "custom", ["allow_cidrs"] = new JsonArray(1) }), Json), e => e.Contains("$.network_policy.allow_cidrs[0]"));
        // Statuses the operation does not list fail, whatever the body.
        Assert.Contains(Leap0Contract.Check(Get, Status, 409, "{\"message\":\"busy\"}", Json), e => e.Contains("409 is not a response of GET"));
        Assert.Contains(Leap0Contract.Check(Get, Status, 500, "{\"message\":\"boom\"}", Json), e => e.Contains("500"));
        Assert.Contains(Leap0Contract.Check("DELETE", Status, 204, "{}", Json), e => e.Contains("no body"));
        Assert.Contains(Leap0Contract.Check(Get, Status, 200, Sandbox(), "text/plain"), e => e.Contains("content type"));
        // oneOf: either error body passes; one matching neither fails.
        Assert.Empty(Leap0Contract.Check(Get, "/v1/sandboxes", 400, "{\"message\":\"bad page\"}", Json));
        Assert.Empty(Leap0Contract.Check(Get, "/v1/sandboxes", 400, "{\"message\":\"bad\",\"errors\":[{\"field\":\"page\",\"error\":\"must be >= 1\"}]}", Json));
        Assert.Contains(Leap0Contract.Check(Get, "/v1/sandboxes", 400, "{\"detail\":\"bad\"}", Json), e => e.Contains("matches none of oneOf"));
        Assert.Contains(Leap0Contract.Check(Get, "/v1/sandboxes", 200, "{\"items\":[{\"id\":\"a\"}],\"total_items\":-1}", Json), e => e.Contains("$.items[0]: required property 'template_id'"));
        Assert.Throws<Xunit.Sdk.XunitException>(() => Leap0Contract.Check(Get, "/v1/no-such-path", 200, "{}", Json));
        Assert.Throws<Xunit.Sdk.XunitException>(() => Leap0Contract.Check("PUT", Status, 200, "{}", Json));
    }
}
