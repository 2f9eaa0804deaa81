using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>An HTTP answer: status, raw text and the JSON body when it is JSON.</summary>
public sealed class Resp(HttpStatusCode status, string text, HttpResponseHeaders headers, HttpContentHeaders? contentHeaders)
{
    public HttpStatusCode Status { get; } = status;
    public int Code => (int)Status;
    public string Text { get; } = text;
    public HttpResponseHeaders Headers { get; } = headers;
    public HttpContentHeaders? ContentHeaders { get; } = contentHeaders;

    public JsonElement Json
    {
        get
        {
            try
            {
                return JsonDocument.Parse(Text).RootElement;
            }
            catch (JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"body is not JSON ({e.Message}): {Text}");
            }
        }
    }

    /// <summary>detail.error of a typed error body.</summary>
    public string? ErrorType =>
        TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.Object
        && d.TryGetProperty("error", out var e) ? e.GetString() : null;

    /// <summary>The loc arrays of a 422 body, each joined with '.'.</summary>
    public List<List<string>> Locs
    {
        get
        {
            var list = new List<List<string>>();
            if (!TryJson(out var j) || j.ValueKind != JsonValueKind.Object || !j.TryGetProperty("detail", out var d) || d.ValueKind != JsonValueKind.Array) return list;
            foreach (var item in d.EnumerateArray())
                if (item.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array)
                    list.Add(loc.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.ToString()).ToList());
            return list;
        }
    }

    public bool TryJson(out JsonElement json)
    {
        try
        {
            json = JsonDocument.Parse(Text).RootElement;
            return true;
        }
        catch (JsonException)
        {
            json = default;
            return false;
        }
    }

    public override string ToString() => $"{Code} {Text}";

    public Resp Expect(int status)
    {
        if (Code != status) throw new Xunit.Sdk.XunitException($"expected HTTP {status}, got {this}");
        return this;
    }

    /// <summary>Asserts a 422 whose detail[0].loc names the field (and that every item has loc, msg and type).</summary>
    public void ExpectValidation(string field)
    {
        Expect(422);
        var detail = Json.GetProperty("detail");
        Assert.Equal(JsonValueKind.Array, detail.ValueKind);
        Assert.True(detail.GetArrayLength() > 0, $"empty detail: {Text}");
        foreach (var item in detail.EnumerateArray())
        {
            Assert.True(item.TryGetProperty("loc", out _), $"detail item without loc: {Text}");
            Assert.True(item.TryGetProperty("msg", out _), $"detail item without msg: {Text}");
            Assert.True(item.TryGetProperty("type", out _), $"detail item without type: {Text}");
        }
        var first = Locs[0];
        Assert.True(first.Contains(field), $"detail[0].loc [{string.Join(", ", first)}] does not name '{field}': {Text}");
    }

    /// <summary>Asserts status and detail.error.</summary>
    public void ExpectError(int status, string errorType)
    {
        Expect(status);
        Assert.True(ErrorType == errorType, $"expected detail.error '{errorType}', got {this}");
    }
}

public sealed record ExecResult(string Stdout, string Stderr, int ExitCode)
{
    public string Out => Stdout.Trim();
}

/// <summary>Plain HttpClient calls to the server; paths are relative to the server's base URL.</summary>
public static class Api
{
    public const string Boxes = "v2/sandboxes/boxes";
    public const string Templates = "v2/sandboxes/templates";

    public static async Task<Resp> SendAsync(HttpClient http, HttpMethod method, string url, HttpContent? content = null, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(method, url) { Content = content };
        using var res = await http.SendAsync(req, ct);
        var text = await res.Content.ReadAsStringAsync(ct);
        return new Resp(res.StatusCode, text, res.Headers, res.Content.Headers);
    }

    public static StringContent JsonBody(object? body) =>
        new(body switch
        {
            null => "{}",
            string s => s,
            JsonNode n => n.ToJsonString(),
            _ => JsonSerializer.Serialize(body),
        }, Encoding.UTF8, "application/json");

    public static Task<Resp> GetAsync(this ServerProcess s, string url) => SendAsync(s.Http, HttpMethod.Get, url);
    public static Task<Resp> DeleteAsync(this ServerProcess s, string url) => SendAsync(s.Http, HttpMethod.Delete, url);
    public static Task<Resp> PostAsync(this ServerProcess s, string url, object? body) => SendAsync(s.Http, HttpMethod.Post, url, JsonBody(body));
    public static Task<Resp> PatchAsync(this ServerProcess s, string url, object? body) => SendAsync(s.Http, HttpMethod.Patch, url, JsonBody(body));

    public static string Box(string name) => $"{Boxes}/{Uri.EscapeDataString(name)}";

    /// <summary>Every sandbox the server lists (all pages).</summary>
    public static async Task<List<JsonElement>> ListAllAsync(this ServerProcess s, string query = "")
    {
        var all = new List<JsonElement>();
        for (var offset = 0; ;)
        {
            var r = (await s.GetAsync($"{Boxes}?limit=1000&offset={offset}{query}")).Expect(200);
            var items = r.Json.GetProperty("sandboxes").EnumerateArray().ToList();
            all.AddRange(items);
            if (items.Count < 1000) return all;
            offset += items.Count;
        }
    }

    public static async Task<HashSet<string>> SandboxIdsAsync(this ServerProcess s) =>
        (await s.ListAllAsync()).Select(x => x.GetProperty("id").GetString()!).ToHashSet();

    /// <summary>POST /execute on a dataplane URL.</summary>
    public static Task<Resp> ExecRawAsync(this ServerProcess s, string dataplaneUrl, object body) =>
        SendAsync(s.Http, HttpMethod.Post, dataplaneUrl.TrimEnd('/') + "/execute", JsonBody(body));

    public static async Task<string> StatusOfAsync(this ServerProcess s, string name) =>
        (await s.GetAsync(Box(name))).Expect(200).Json.GetProperty("status").GetString()!;

    public static string Str(this JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.ToString() : throw new Xunit.Sdk.XunitException($"no '{property}' in {e}");
}

/// <summary>Unique, valid sandbox and template names.</summary>
public static class Names
{
    public static string New(string tag) => $"t-{tag}-{Guid.NewGuid().ToString("N")[..8]}";
}

/// <summary>Bounded polling.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what, int intervalMs = 200)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await probe();
            if (done(last)) return last;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last value: {last}");
            await Task.Delay(intervalMs);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, timeout, what);
}
