using System.Net.Http.Headers;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>Calls to leap0's <c>/v1</c> as its SDKs make them: <c>authorization: Bearer key</c>, no X-Api-Key.</summary>
public static class Leap0Api
{
    /// <summary>
    /// A client of <c>/v1</c> whose every response is checked against leap0's spec (<see cref="ContractCheckingHandler"/>),
    /// so that no test has to remember to. <paramref name="checkContract"/> false only for requests Kestrel refuses
    /// before any of the server's code runs (a NUL in the path, a request line over 8 KiB: no body), which are no API answers.
    /// </summary>
    public static HttpClient Client(ServerProcess s, string? authorization = null, bool checkContract = true)
    {
        var http = new HttpClient(checkContract ? new ContractCheckingHandler() : new HttpClientHandler())
            { BaseAddress = s.BaseUrl, Timeout = TimeSpan.FromMinutes(3) };
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

/// <summary>
/// Checks each <c>/v1</c> response with <see cref="Leap0Contract.CheckRequest"/> (the body is buffered first, so the
/// test still reads it).
/// </summary>
public sealed class ContractCheckingHandler() : DelegatingHandler(new HttpClientHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var response = await base.SendAsync(request, ct);
        var path = request.RequestUri!.AbsolutePath;
        if (!path.StartsWith("/v1/", StringComparison.Ordinal)) return response;
        var shown = path.Length > 200 ? path[..200] + "..." : path;
        await response.Content.LoadIntoBufferAsync(ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var errors = Leap0Contract.CheckRequest(request.Method.Method, path, (int)response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
        if (errors.Count > 0)
            throw new Xunit.Sdk.XunitException($"{request.Method} {shown} {(int)response.StatusCode} breaks leap0's contract:\n  {string.Join("\n  ", errors)}\nbody: {(body.Length > 2000 ? body[..2000] + "..." : body)}");
        return response;
    }
}
