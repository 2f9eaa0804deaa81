using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Download links against the real server: minted with the API key, used without it (GET, HEAD, Range), pinned to one
/// file, labelled as asked, expiring, and stored only as a hash.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DownloadLinkTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> FetchAsync(HttpClient http, HttpMethod method, string url, RangeHeaderValue? range = null)
    {
        using var req = new HttpRequestMessage(method, url);
        req.Headers.Range = range;
        var res = await http.SendAsync(req);
        return (res.StatusCode, await res.Content.ReadAsStringAsync(), res);
    }

    [Fact]
    public async Task A_link_serves_its_one_file_without_the_api_key()
    {
        await using var box = await Box.CreateAsync(S, tag: "dl");
        await box.RunAsync("mkdir -p /home/user/out && printf 'hello, link' > /home/user/out/report.txt && printf other > /home/user/out/other.txt");
        var minted = (await S.PostAsync($"{box.Path}/download-url", new { path = "out/report.txt", content_type = "text/plain", content_disposition = "inline" })).Expect(200).Json;
        var url = minted.Str("download_url");
        var token = minted.Str("token");
        Assert.Equal(JsonValueKindNull, minted.GetProperty("expires_at").ValueKind);
        Assert.EndsWith(token, url);

        var (status, body, res) = await FetchAsync(S.Anonymous, HttpMethod.Get, url);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("hello, link", body);
        Assert.Equal("text/plain", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal("inline", res.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("report.txt", res.Content.Headers.ContentDisposition?.FileNameStar ?? res.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal("sandbox", string.Join(",", res.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", string.Join(",", res.Headers.GetValues("X-Content-Type-Options")));

        var head = await FetchAsync(S.Anonymous, HttpMethod.Head, url);
        Assert.Equal(HttpStatusCode.OK, head.Status);
        Assert.Equal(11, head.Response.Content.Headers.ContentLength);
        Assert.NotNull(head.Response.Headers.ETag);

        var ranged = await FetchAsync(S.Anonymous, HttpMethod.Get, url, new RangeHeaderValue(7, 10));
        Assert.Equal(HttpStatusCode.PartialContent, ranged.Status);
        Assert.Equal("link", ranged.Body);
        Assert.Equal("bytes 7-10/11", ranged.Response.Content.Headers.ContentRange?.ToString());

        // The link follows the path, not another file; a changed token opens nothing; the token is stored hashed only.
        await box.RunAsync("printf 'changed' > /home/user/out/report.txt");
        Assert.Equal("changed", (await FetchAsync(S.Anonymous, HttpMethod.Get, url)).Body);
        var wrong = url[..^4] + (token.EndsWith("AAAA") ? "BBBB" : "AAAA");
        Assert.Equal(HttpStatusCode.NotFound, (await FetchAsync(S.Anonymous, HttpMethod.Get, wrong)).Status);
        Assert.DoesNotContain(token, await File.ReadAllTextAsync(Path.Combine(S.DataDir, "state.db"), Encoding.Latin1));
        Assert.DoesNotContain(token, S.Log);

        // The default: attachment, application/octet-stream.
        var plain = (await S.PostAsync($"{box.Path}/download-url", new { path = "/home/user/out/other.txt" })).Expect(200).Json;
        var other = await FetchAsync(S.Anonymous, HttpMethod.Get, plain.Str("download_url"));
        Assert.Equal("other", other.Body);
        Assert.Equal("application/octet-stream", other.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", other.Response.Content.Headers.ContentDisposition?.DispositionType);

        // A link of a deleted sandbox opens nothing.
        (await S.DeleteAsync(box.Path)).Expect(204);
        Assert.Equal(HttpStatusCode.NotFound, (await FetchAsync(S.Anonymous, HttpMethod.Get, url)).Status);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task A_link_expires_and_a_missing_file_is_404()
    {
        await using var box = await Box.CreateAsync(S, tag: "dl-exp");
        await box.RunAsync("echo x > /home/user/x.txt");
        var minted = (await S.PostAsync($"{box.Path}/download-url", new { path = "/home/user/x.txt", expires_in_seconds = 1 })).Expect(200).Json;
        var expiresAt = DateTime.Parse(minted.Str("expires_at"), null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(expiresAt, DateTime.UtcNow.AddSeconds(-5), DateTime.UtcNow.AddSeconds(5));
        await Task.Delay(1500);
        var expired = await FetchAsync(S.Anonymous, HttpMethod.Get, minted.Str("download_url"));
        Assert.Equal(HttpStatusCode.Forbidden, expired.Status);
        Assert.Contains("LinkExpired", expired.Body);

        var missing = (await S.PostAsync($"{box.Path}/download-url", new { path = "/home/user/none.txt" })).Expect(200).Json;
        Assert.Equal(HttpStatusCode.NotFound, (await FetchAsync(S.Anonymous, HttpMethod.Get, missing.Str("download_url"))).Status);
    }

    [Theory]
    [InlineData("{}", "path")]
    [InlineData("{\"path\":\"\"}", "path")]
    [InlineData("{\"path\":\"/x\",\"expires_in_seconds\":0}", "expires_in_seconds")]
    [InlineData("{\"path\":\"/x\",\"content_type\":\"not a type\"}", "content_type")]
    [InlineData("{\"path\":\"/x\",\"content_disposition\":\"download\"}", "content_disposition")]
    [InlineData("{\"path\":\"/x\",\"csp_sandbox\":false}", "csp_sandbox")]
    public async Task Bad_link_requests_are_422_naming_the_field(string body, string field) =>
        // The body is checked before the sandbox is looked up.
        (await Api.SendAsync(S.Http, HttpMethod.Post, $"{Api.Box("no-such-box-dl")}/download-url", Api.JsonBody(body))).ExpectValidation(field);

    [Fact]
    public async Task A_link_for_a_missing_sandbox_is_404_and_minting_needs_the_key()
    {
        (await S.PostAsync($"{Api.Box("no-such-box-dl")}/download-url", new { path = "/x" })).ExpectError(404, "SandboxNotFound");
        var anonymous = await Api.SendAsync(S.Anonymous, HttpMethod.Post, $"{Api.Box("no-such-box-dl")}/download-url", Api.JsonBody(new { path = "/x" }));
        Assert.Equal(401, anonymous.Code);
    }
}
