using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>GET /boxes and GET /snapshots in both generations' shapes: items + next_cursor beside sandboxes/snapshots + offset.</summary>
[Collection(ServerCollection.Name)]
public sealed class ListTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Snapshots = "v2/sandboxes/snapshots";

    private static List<string> Names(JsonElement list, string key) => list.GetProperty(key).EnumerateArray().Select(e => e.Str("name")).ToList();

    [Fact]
    public async Task Sandboxes_page_by_cursor_and_by_offset_with_both_shapes()
    {
        var prefix = $"t-lst{Guid.NewGuid().ToString("N")[..6]}";
        var boxes = new List<Box>();
        try
        {
            foreach (var n in new[] { "a", "b", "c" })
                boxes.Add(await Box.CreateAsync(S, extra: new() { ["name"] = $"{prefix}-{n}" }));
            var first = (await S.GetAsync($"{Api.Boxes}?name_contains={prefix.ToUpperInvariant()}&page_size=2&sort_by=name&sort_order=asc")).Expect(200).Json;
            Assert.Equal([$"{prefix}-a", $"{prefix}-b"], Names(first, "items"));
            Assert.Equal(Names(first, "items"), Names(first, "sandboxes"));
            Assert.Equal(2, first.GetProperty("offset").GetInt32());
            var cursor = first.Str("next_cursor");
            var second = (await S.GetAsync($"{Api.Boxes}?name_contains={prefix}&page_size=2&sort_by=name&sort_order=asc&cursor={Uri.EscapeDataString(cursor)}")).Expect(200).Json;
            Assert.Equal([$"{prefix}-c"], Names(second, "items"));
            Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
            Assert.Equal(3, second.GetProperty("offset").GetInt32());

            // The older parameters page the same way; sort_direction still works, and agreeing twins are accepted.
            var old = (await S.GetAsync($"{Api.Boxes}?name_contains={prefix}&limit=2&offset=1&sort_by=name&sort_direction=desc&sort_order=desc")).Expect(200).Json;
            Assert.Equal([$"{prefix}-b", $"{prefix}-a"], Names(old, "sandboxes"));
            Assert.Equal(JsonValueKind.Null, old.GetProperty("next_cursor").ValueKind);
            var exact = (await S.GetAsync($"{Api.Boxes}?name_contains={prefix}&page_size=3")).Expect(200).Json;
            Assert.Equal(3, Names(exact, "items").Count);
            Assert.Equal(JsonValueKind.Null, exact.GetProperty("next_cursor").ValueKind);
            var ready = (await S.GetAsync($"{Api.Boxes}?name_contains={prefix}&status=ready&created_by=me")).Expect(200).Json;
            Assert.Equal(3, Names(ready, "items").Count);
        }
        finally
        {
            foreach (var b in boxes) await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Snapshots_page_filter_and_sort_with_both_shapes()
    {
        await using var box = await Box.CreateAsync(S, tag: "lstsnap");
        var prefix = $"t-ls{Guid.NewGuid().ToString("N")[..6]}";
        var ids = new List<string>();
        try
        {
            foreach (var n in new[] { "b", "a", "c" })
            {
                var id = (await S.PostAsync($"{Api.Box(box.Name)}/snapshot", new { name = $"{prefix}-{n}" })).Expect(201).Json.Str("id");
                ids.Add(id);
                await Poll.UntilAsync(async () => (await S.GetAsync($"{Snapshots}/{id}")).Expect(200).Json.Str("status"), s => s != "building", TimeSpan.FromSeconds(60), "snapshot");
            }
            // Oldest first by default; page_size and cursor.
            var first = (await S.GetAsync($"{Snapshots}?name_contains={prefix}&page_size=2")).Expect(200).Json;
            Assert.Equal([$"{prefix}-b", $"{prefix}-a"], Names(first, "items"));
            Assert.Equal(Names(first, "items"), Names(first, "snapshots"));
            var second = (await S.GetAsync($"{Snapshots}?name_contains={prefix}&page_size=2&cursor={first.Str("next_cursor")}")).Expect(200).Json;
            Assert.Equal([$"{prefix}-c"], Names(second, "items"));
            Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
            Assert.Equal(3, second.GetProperty("offset").GetInt32());
            // Older limit/offset, sort_by/sort_order, status filters.
            var byName = (await S.GetAsync($"{Snapshots}?name_contains={prefix}&sort_by=name&sort_order=desc&limit=2&offset=1")).Expect(200).Json;
            Assert.Equal([$"{prefix}-b", $"{prefix}-a"], Names(byName, "snapshots"));
            Assert.Equal(3, Names((await S.GetAsync($"{Snapshots}?name_contains={prefix}&status=ready&limit=500")).Expect(200).Json, "items").Count);
            Assert.Empty(Names((await S.GetAsync($"{Snapshots}?name_contains={prefix}&status=building")).Expect(200).Json, "items"));
            Assert.Empty(Names((await S.GetAsync($"{Snapshots}?name_contains={prefix}&status=failed")).Expect(200).Json, "items"));
        }
        finally
        {
            foreach (var id in ids) await S.DeleteAsync($"{Snapshots}/{id}");
        }
    }

    [Theory]
    [InlineData("boxes", "page_size=0", "page_size")]
    [InlineData("boxes", "page_size=1001", "page_size")]
    [InlineData("boxes", "page_size=2&limit=3", "page_size")]
    [InlineData("boxes", "cursor=bm9wZQ", "cursor")]
    [InlineData("boxes", "cursor=%25%25", "cursor")]
    [InlineData("boxes", "sort_order=up", "sort_order")]
    [InlineData("boxes", "sort_order=asc&sort_direction=desc", "sort_order")]
    [InlineData("boxes", "sort_by=size", "sort_by")]
    [InlineData("boxes", "status=sleeping", "status")]
    [InlineData("boxes", "label=%3Dteam", "label")]
    [InlineData("boxes", "created_by=someone", "created_by")]
    [InlineData("snapshots", "limit=0", "limit")]
    [InlineData("snapshots", "limit=501", "limit")]
    [InlineData("snapshots", "page_size=501", "page_size")]
    [InlineData("snapshots", "offset=-1", "offset")]
    [InlineData("snapshots", "cursor=xyz", "cursor")]
    [InlineData("snapshots", "status=provisional", "status")]
    [InlineData("snapshots", "sort_by=template_name", "sort_by")]
    [InlineData("snapshots", "label=-a=b", "label")]
    public async Task Bad_list_queries_are_422_naming_the_field(string route, string query, string field)
    {
        var r = await S.GetAsync($"v2/sandboxes/{route}?{query}");
        Assert.Equal(422, r.Code);
        Assert.Contains(r.Locs, l => l.SequenceEqual(["query", field]));
    }
}
