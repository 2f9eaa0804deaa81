using System.Net.Http.Headers;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>Calls to leap0's <c>/v1</c> as its SDKs make them: <c>authorization: Bearer key</c>, no X-Api-Key.</summary>
public static class Leap0Api
{
    public static HttpClient Client(ServerProcess s, string? authorization = null)
    {
        var http = new HttpClient { BaseAddress = s.BaseUrl, Timeout = TimeSpan.FromMinutes(3) };
        http.DefaultRequestHeaders.TryAddWithoutValidation("authorization", authorization ?? $"Bearer {s.ApiKey}");
        return http;
    }

    public static Task<Resp> L0GetAsync(this HttpClient http, string url) => Api.SendAsync(http, HttpMethod.Get, url);
    public static Task<Resp> L0DeleteAsync(this HttpClient http, string url) => Api.SendAsync(http, HttpMethod.Delete, url);
    public static Task<Resp> L0PostAsync(this HttpClient http, string url, object? body) => Api.SendAsync(http, HttpMethod.Post, url, Api.JsonBody(body));
    public static Task<Resp> L0PatchAsync(this HttpClient http, string url, object? body) => Api.SendAsync(http, HttpMethod.Patch, url, Api.JsonBody(body));

    /// <summary>Asserts leap0's error body: the status and a <c>message</c> (and nothing of LangSmith's <c>detail</c>).</summary>
    public static Resp ExpectLeap0Error(this Resp r, int status)
    {
        r.Expect(status);
        Assert.False(string.IsNullOrWhiteSpace(r.Json.Str("message")), $"no message: {r.Text}");
        Assert.False(r.Json.TryGetProperty("detail", out _), r.Text);
        return r;
    }

    /// <summary>Asserts leap0's 400: <c>{message, errors: [{field, error}]}</c> naming <paramref name="field"/>.</summary>
    public static void ExpectLeap0Field(this Resp r, string field)
    {
        r.ExpectLeap0Error(400);
        var fields = r.Json.GetProperty("errors").EnumerateArray().Select(e => e.Str("field")).ToList();
        Assert.True(fields.Contains(field), $"no error for '{field}' in {r.Text}");
        Assert.All(r.Json.GetProperty("errors").EnumerateArray(), e => Assert.False(string.IsNullOrWhiteSpace(e.Str("error"))));
    }

    /// <summary>Creates a sandbox on /v1 and waits until it runs; returns its id.</summary>
    public static async Task<string> CreateRunningAsync(this HttpClient http, object? body = null)
    {
        var created = (await http.L0PostAsync("v1/sandbox", body ?? new { template_name = "system/debian:bookworm" })).Expect(201).Json;
        var id = created.Str("id");
        await Poll.UntilAsync(() => http.L0GetAsync($"v1/sandbox/{id}/"), r => r.Json.Str("state") == "running", TimeSpan.FromSeconds(60), $"sandbox {id} running");
        return id;
    }

    /// <summary><see cref="CreateRunningAsync"/>, the sandbox tracked so that the server's disposal deletes it if a test does not.</summary>
    public static async Task<string> CreateTrackedAsync(this HttpClient http, ServerProcess s, object? body = null)
    {
        var id = await http.CreateRunningAsync(body);
        s.Track(id);
        return id;
    }
}
