using System.Text;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// The fuzz of <see cref="BadInputFuzzTests"/> on leap0's control-plane routes (with leap0's auth): malformed bodies
/// and odd queries and ids never answer 5xx, and nothing meant to be invalid is accepted.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0ControlFuzzTests(ServerFixture fixture)
{
    private const string Missing = "no-such-thing-fuzz";
    private ServerProcess S => fixture.Server;

    // Each base body is invalid twice over, or aims at something that does not exist, so that no variant creates anything.
    private static readonly (string Method, string Url, string Base)[] Routes =
    [
        ("POST", $"v1/sandbox/{Missing}/pause", "{}"),
        ("POST", $"v1/sandbox/{Missing}/stop", "{}"),
        ("POST", $"v1/sandbox/{Missing}/start", "{}"),
        ("POST", $"v1/sandbox/{Missing}/snapshot/create", "{\"name\":\"s\",\"kill_sandbox_after\":true}"),
        ("POST", $"v1/sandbox/{Missing}/presigned-url", "{\"port\":8080,\"expires_in\":60}"),
        ("DELETE", $"v1/sandbox/{Missing}/presigned-url/x", "{}"),
        ("POST", "v1/snapshot/restore", "{\"snapshot_name\":\"fuzz-no-such-snapshot\",\"timeout\":60,\"auto_pause\":true,\"network_policy\":{\"mode\":\"custom\",\"allow_cidrs\":[\"10.0.0.0/8\"]}}"),
        ("POST", "v1/template", "{\"name\":\"Fuzz_Bad\",\"uri\":\"docker://nope\"}"),
        ("PATCH", $"v1/template/{Missing}", "{\"name\":\"x\"}"),
    ];

    [Fact]
    public async Task Malformed_bodies_never_answer_5xx_and_are_never_accepted()
    {
        using var http = Leap0Api.Client(S);
        var failures = new List<string>();
        var seed = 80;
        foreach (var (method, url, baseBody) in Routes)
        foreach (var (what, body, contentType) in BadInputFuzzTests.Bodies(baseBody, seed++))
        {
            var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            var r = await Api.SendAsync(http, new HttpMethod(method), url, content);
            if (r.Code >= 500) failures.Add($"{method} {url} [{what}]: {r.Text[..Math.Min(300, r.Text.Length)]}");
            if (r.Code is 200 or 201 or 204) failures.Add($"{method} {url} [{what}]: accepted ({r.Code}) a body meant to be invalid: {r.Text[..Math.Min(300, r.Text.Length)]}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} bad answers:\n{string.Join("\n", failures.Take(30))}");
        Assert.True(S.IsRunning);
    }

    [Fact]
    public async Task Odd_queries_and_ids_never_answer_5xx()
    {
        using var http = Leap0Api.Client(S);
        string[] queries =
        [
            "page=99999999999999999999", "page=-1", "page=0", "page=abc", "page=", "page-size=", "page-size=1&page-size=2", "page=2147483647&page-size=100",
            "sort=%00", "order-by=%FF", "state=%ED%A0%80", "state=running&state=paused", "query=%00", "query=%FF", "page=%201", "page=1e3",
        ];
        var failures = new List<string>();
        foreach (var list in new[] { "v1/sandboxes", "v1/sandbox/", "v1/snapshots", "v1/templates" })
        foreach (var q in queries)
        {
            var r = await http.L0GetAsync($"{list}?{q}");
            if (r.Code >= 500) failures.Add($"GET {list}?{q}: {r}");
        }
        // A NUL in the path (400) and a request line over 8 KiB (414) are refused by Kestrel itself, with no body, before
        // any of the server's code runs: no /v1 answers to check against the spec.
        using var plain = Leap0Api.Client(S, checkContract: false);
        foreach (var id in new[] { "%00", "%FF", "%ED%A0%80", "..", "a%2Fb", new string('a', 5000) })
        foreach (var (method, path) in new[] { ("POST", $"v1/sandbox/{id}/pause"), ("POST", $"v1/sandbox/{id}/start"), ("DELETE", $"v1/snapshot/{id}"), ("DELETE", $"v1/template/{id}"), ("DELETE", $"v1/sandbox/{id}/presigned-url/{id}") })
        {
            var r = await Api.SendAsync(id == "%00" || path.Length > 8000 ? plain : http, new HttpMethod(method), path, new StringContent("{}", Encoding.UTF8, "application/json"));
            if (r.Code >= 500) failures.Add($"{method} {path[..Math.Min(80, path.Length)]}: {r}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
