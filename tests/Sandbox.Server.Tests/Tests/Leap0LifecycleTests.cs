using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// leap0's sandbox control plane on the real server: list (filters, sort, pages), pause (resumed by the next request),
/// stop, start, timeout expiry, and the shapes of sandboxes made on the LangSmith routes. Every response is checked
/// against leap0's OpenAPI.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0LifecycleTests(ServerFixture fixture)
{
    private const string SandboxPath = "/v1/sandbox/{sandboxID}/", ListPath = "/v1/sandboxes";
    private ServerProcess S => fixture.Server;

    private static async Task<List<JsonElement>> ListAsync(HttpClient http, string query)
    {
        var r = (await http.L0GetAsync($"v1/sandboxes?{query}")).Expect(200).Conforms("GET", ListPath).Json;
        var items = r.GetProperty("items").EnumerateArray().ToList();
        Assert.True(r.GetProperty("total_items").GetInt32() >= items.Count, r.ToString());
        return items;
    }

    [Fact]
    public async Task Lists_with_the_state_filter_sort_order_and_pages()
    {
        using var http = Leap0Api.Client(S);
        var first = await http.CreateTrackedAsync(S);
        var second = await http.CreateTrackedAsync(S);
        try
        {
            (await http.L0PostAsync($"v1/sandbox/{second}/pause", null)).Expect(201).Conforms("POST", "/v1/sandbox/{sandboxID}/pause");

            var running = await ListAsync(http, "state=running&page-size=100");
            Assert.Contains(running, i => i.Str("id") == first);
            Assert.DoesNotContain(running, i => i.Str("id") == second);
            Assert.All(running, i => Assert.Equal("running", i.Str("state")));
            var paused = await ListAsync(http, "state=paused&page-size=100");
            var item = Assert.Single(paused, i => i.Str("id") == second);
            Assert.Equal("system/debian:bookworm", item.Str("template_id"));
            Assert.True(item.GetProperty("timeout_at").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());

            // Newest first by default; asc reverses; the same list through the trailing-slash and /sandbox paths.
            var desc = (await ListAsync(http, "page-size=100")).Select(i => i.Str("id")).ToList();
            Assert.True(desc.IndexOf(second) < desc.IndexOf(first), string.Join(",", desc));
            var asc = (await ListAsync(http, "order-by=asc&page-size=100")).Select(i => i.Str("id")).ToList();
            Assert.True(asc.IndexOf(first) < asc.IndexOf(second), string.Join(",", asc));
            Assert.Equal(desc, (await http.L0GetAsync("v1/sandboxes/?page-size=100")).Expect(200).Json.GetProperty("items").EnumerateArray().Select(i => i.Str("id")).ToList());
            Assert.Equal(desc, (await http.L0GetAsync("v1/sandbox/?page-size=100")).Expect(200).Json.GetProperty("items").EnumerateArray().Select(i => i.Str("id")).ToList());

            // Pages of one walk the same order, and total_items counts every match.
            var total = (await http.L0GetAsync("v1/sandboxes?order-by=asc&page-size=1")).Expect(200).Json.GetProperty("total_items").GetInt32();
            Assert.Equal(asc.Count, total);
            var paged = new List<string>();
            for (var page = 1; page <= total; page++)
                paged.AddRange((await ListAsync(http, $"order-by=asc&page-size=1&page={page}")).Select(i => i.Str("id")));
            Assert.Equal(asc, paged);
            Assert.Empty(await ListAsync(http, $"page={total + 1}&page-size=1"));

            // sort=state groups by leap0's state name.
            var byState = (await ListAsync(http, "sort=state&order-by=asc&page-size=100")).Select(i => i.Str("state")).ToList();
            Assert.Equal(byState.Order(StringComparer.Ordinal).ToList(), byState);
            Assert.Empty(await ListAsync(http, "state=snapshotting"));
        }
        finally
        {
            foreach (var id in new[] { first, second }) (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Theory]
    [InlineData("state=ready", "state", "starting, stopping")]
    [InlineData("state=deleted", "state", "deleting")]
    [InlineData("sort=name", "sort", "created_at, state")]
    [InlineData("order-by=up", "order-by", "asc, desc")]
    [InlineData("page=0", "page", "from 1")]
    [InlineData("page=abc", "page", "from 1")]
    [InlineData("page=-1", "page", "from 1")]
    [InlineData("page-size=0", "page-size", "1 to 100")]
    [InlineData("page-size=101", "page-size", "1 to 100")]
    [InlineData("page-size=99999999999999999999", "page-size", "1 to 100")]
    public async Task Refuses_bad_list_queries_naming_the_field_and_the_values_allowed(string query, string field, string allowed)
    {
        using var http = Leap0Api.Client(S);
        var r = (await http.L0GetAsync($"v1/sandboxes?{query}")).Conforms("GET", ListPath);
        r.ExpectLeap0Field(field);
        Assert.Contains(allowed, r.Json.Str("message"));
    }

    [Fact]
    public async Task Pause_freezes_and_the_next_request_resumes_it()
    {
        using var http = Leap0Api.Client(S);
        var id = await http.CreateTrackedAsync(S);
        try
        {
            const string pause = "/v1/sandbox/{sandboxID}/pause";
            var paused = (await http.L0PostAsync($"v1/sandbox/{id}/pause/", null)).Expect(201).Conforms("POST", pause).Json;
            Assert.Equal("paused", paused.Str("state"));
            Assert.Equal("paused", (await http.L0GetAsync($"v1/sandbox/{id}")).Conforms("GET", SandboxPath).Json.Str("state"));
            // leap0: pausing what is not running is a 409, and so are stop's and start's wrong states below.
            Assert.Contains("paused", (await http.L0PostAsync($"v1/sandbox/{id}/pause", null)).ExpectLeap0Error(409).Conforms("POST", pause).Json.Str("message"));
            (await http.L0PostAsync($"v1/sandbox/{id}/start", null)).ExpectLeap0Error(409).Conforms("POST", "/v1/sandbox/{sandboxID}/start");

            var r = (await http.L0PostAsync($"v1/sandbox/{id}/process/execute", new { command = "echo awake" })).Expect(200).Json;
            Assert.Equal("awake\n", r.Str("stdout"));
            Assert.Equal("running", (await http.L0GetAsync($"v1/sandbox/{id}/")).Conforms("GET", SandboxPath).Json.Str("state"));
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Fact]
    public async Task Stop_keeps_the_files_and_start_boots_it_again()
    {
        using var http = Leap0Api.Client(S);
        var id = await http.CreateTrackedAsync(S);
        try
        {
            const string stop = "/v1/sandbox/{sandboxID}/stop", start = "/v1/sandbox/{sandboxID}/start";
            (await http.L0PostAsync($"v1/sandbox/{id}/process/execute", new { command = "echo kept > /home/user/kept.txt; sleep 600 >/dev/null 2>&1 &" })).Expect(200);
            (await http.L0PostAsync($"v1/sandbox/{id}/start/", null)).ExpectLeap0Error(409).Conforms("POST", start);
            Assert.Equal("stopped", (await http.L0PostAsync($"v1/sandbox/{id}/stop/", null)).Expect(200).Conforms("POST", stop).Json.Str("state"));
            Assert.Equal("stopped", (await http.L0GetAsync($"v1/sandbox/{id}")).Conforms("GET", SandboxPath).Json.Str("state"));
            (await http.L0PostAsync($"v1/sandbox/{id}/stop", null)).ExpectLeap0Error(409).Conforms("POST", stop);
            (await http.L0PostAsync($"v1/sandbox/{id}/pause", null)).ExpectLeap0Error(409).Conforms("POST", "/v1/sandbox/{sandboxID}/pause");

            Assert.Equal("running", (await http.L0PostAsync($"v1/sandbox/{id}/start", null)).Expect(200).Conforms("POST", start).Json.Str("state"));
            var r = (await http.L0PostAsync($"v1/sandbox/{id}/process/execute", new { command = "cat /home/user/kept.txt; ps -eo comm | grep -c '^sleep$' || true" })).Expect(200).Json;
            Assert.Equal("kept\n0\n", r.Str("stdout"));
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Fact]
    public async Task A_request_right_after_create_waits_for_the_boot()
    {
        using var http = Leap0Api.Client(S);
        // As leap0's SDKs do: create (answered while the sandbox may still be starting), then a command at once.
        var id = (await http.L0PostAsync("v1/sandbox", new { })).Expect(201).Conforms("POST", "/v1/sandbox/").Json.Str("id");
        S.Track(id);
        try
        {
            Assert.Equal("now\n", (await http.L0PostAsync($"v1/sandbox/{id}/process/execute", new { command = "echo now" })).Expect(200).Json.Str("stdout"));
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Fact]
    public async Task Lifecycle_steps_of_an_unknown_sandbox_are_404()
    {
        using var http = Leap0Api.Client(S);
        foreach (var step in new[] { "pause", "stop", "start" })
            (await http.L0PostAsync($"v1/sandbox/no-such-id/{step}", null)).ExpectLeap0Error(404).Conforms("POST", $"/v1/sandbox/{{sandboxID}}/{step}");
    }

    [Fact]
    public async Task Timeout_expiry_deletes_or_with_auto_pause_pauses()
    {
        using var http = Leap0Api.Client(S);
        // Not waited for as running: the timeout counts from the create, and may end before a poll sees it running.
        var kept = (await http.L0PostAsync("v1/sandbox", new { timeout = 4, auto_pause = true })).Expect(201).Json.Str("id");
        var gone = (await http.L0PostAsync("v1/sandbox", new { timeout = 2 })).Expect(201).Json.Str("id");
        S.Track(kept);
        S.Track(gone);
        try
        {
            await Poll.UntilAsync(() => http.L0GetAsync($"v1/sandbox/{gone}"), r => r.Code == 404, TimeSpan.FromSeconds(15), "the sandbox deleted at its timeout", 100);
            await Poll.UntilAsync(() => http.L0GetAsync($"v1/sandbox/{kept}"), r => r.Json.Str("state") == "paused", TimeSpan.FromSeconds(15), "the sandbox paused at its timeout", 100);
            var paused = (await http.L0GetAsync($"v1/sandbox/{kept}")).Conforms("GET", SandboxPath).Json;
            Assert.True(paused.GetProperty("auto_pause").GetBoolean());
            Assert.Equal(4, paused.GetProperty("timeout").GetInt64());
            // Spent: the timeout does not delete it afterwards, and no timeout_at is listed for it.
            var item = (await ListAsync(http, "state=paused&page-size=100")).Single(i => i.Str("id") == kept);
            Assert.False(item.TryGetProperty("timeout_at", out _), item.ToString());
            Assert.Equal("up\n", (await http.L0PostAsync($"v1/sandbox/{kept}/process/execute", new { command = "echo up" })).Expect(200).Json.Str("stdout"));
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{kept}")).Expect(204);
        }
    }

    [Fact]
    public async Task A_sandbox_of_the_langsmith_routes_without_a_ttl_and_allow_all_except_fit_leap0s_spec()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0nottl");
        var got = (await http.L0GetAsync($"v1/sandbox/{box.Id}")).Expect(200).Conforms("GET", SandboxPath).Json;
        Assert.Equal(28800, got.GetProperty("timeout").GetInt64());
        Assert.Contains((await ListAsync(http, "page-size=100")), i => i.Str("id") == box.Id && !i.TryGetProperty("timeout_at", out _));

        var created = (await http.L0PostAsync("v1/sandbox", new { network_policy = new { mode = "allow-all-except", deny_cidrs = new[] { "10.9.9.9/32" } } })).Expect(201).Conforms("POST", "/v1/sandbox/").Json;
        S.Track(created.Str("id"));
        try
        {
            var policy = created.GetProperty("network_policy");
            Assert.Equal("allow-all", policy.Str("mode"));
            Assert.Equal("10.9.9.9/32", policy.GetProperty("deny_cidrs")[0].GetString());
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{created.Str("id")}")).Expect(204);
        }
    }
}
