using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Sandbox.Client;

/// <summary>Paging and name lookup shared by every listable resource (templates, volumes, pools, snapshots).</summary>
public sealed partial class SandboxClient
{
    /// <summary>One page: <c>GET base?limit&amp;offset&amp;name_contains</c> answering <c>{"&lt;plural&gt;": [...], "offset": n}</c>.</summary>
    private async Task<SandboxPage<T>> ListPageAsync<T>(string baseUrl, string plural, int? limit, int? offset, string? nameContains, TimeSpan? timeout, CancellationToken ct)
    {
        var page = await SendJsonAsync<JsonElement>(HttpMethod.Get, PagedUrl(baseUrl, limit, offset, nameContains), null, retryable: true, null, timeout, ct).ConfigureAwait(false);
        var items = page.ValueKind == JsonValueKind.Object && page.TryGetProperty(plural, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.Deserialize<List<T>>(Json) ?? []
            : [];
        var next = page.ValueKind == JsonValueKind.Object && page.TryGetProperty("offset", out var o) && o.TryGetInt32(out var n) ? n : (offset ?? 0) + items.Count;
        return new SandboxPage<T>(items, next);
    }

    private static string PagedUrl(string baseUrl, int? limit, int? offset, string? nameContains)
    {
        var url = new StringBuilder(baseUrl);
        var sep = '?';
        void Add(string key, string? value)
        {
            if (value is null) return;
            url.Append(sep).Append(key).Append('=').Append(Uri.EscapeDataString(value));
            sep = '&';
        }
        Add("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("offset", offset?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("name_contains", string.IsNullOrEmpty(nameContains) ? null : nameContains);
        return url.ToString();
    }

    /// <summary>Every item of a list, following the pages' offsets (bounded).</summary>
    private static async IAsyncEnumerable<T> FollowPagesAsync<T>(Func<int, Task<SandboxPage<T>>> pageAt, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var offset = 0;
        for (var pages = 0; pages < 1_000_000 / SandboxDefaults.PageSize + 1; pages++)
        {
            ct.ThrowIfCancellationRequested();
            var page = await pageAt(offset).ConfigureAwait(false);
            foreach (var item in page.Items) yield return item;
            if (page.Items.Count < SandboxDefaults.PageSize || page.NextOffset <= offset) yield break;
            offset = page.NextOffset;
        }
    }

    /// <summary>
    /// Resources by name or wildcard pattern: a name without wildcards is fetched directly (not found throws), a
    /// pattern lists with its longest literal as <c>name_contains</c> and matches locally (none is an empty list).
    /// </summary>
    private static async Task<IReadOnlyList<T>> FindByNameAsync<T>(string? namePattern, Func<string, Task<T>> get, Func<string?, IAsyncEnumerable<T>> listAll, Func<T, string> nameOf)
    {
        var pattern = string.IsNullOrEmpty(namePattern) ? null : SandboxWildcard.Parse(namePattern);
        if (pattern is { HasWildcards: false }) return [await get(pattern.LiteralText!).ConfigureAwait(false)];
        var result = new List<T>();
        await foreach (var item in listAll(pattern?.LongestLiteral is { Length: > 0 } l ? l : null).ConfigureAwait(false))
            if (pattern is null || pattern.IsMatch(nameOf(item))) result.Add(item);
        return result;
    }
}
