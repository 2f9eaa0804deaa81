using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>HEAD and conditional, ranged GET of /download (the current generation's stat and readRange).</summary>
[Collection(ServerCollection.Name)]
public sealed class FileRangeTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Res)> SendAsync(Box box, HttpMethod method, string path, Action<HttpRequestHeaders>? headers = null)
    {
        var req = new HttpRequestMessage(method, $"{box.DataplaneUrl}/download?path={Uri.EscapeDataString(path)}");
        headers?.Invoke(req.Headers);
        var res = await S.Http.SendAsync(req);
        return (res.StatusCode, await res.Content.ReadAsByteArrayAsync(), res);
    }

    [Fact]
    public async Task Head_reports_length_validators_and_type_without_a_body()
    {
        await using var box = await Box.CreateAsync(S, tag: "head");
        await box.RunAsync("printf 0123456789 > /tmp/ten && touch -d '2024-05-06 07:08:09 UTC' /tmp/ten");
        var (status, body, res) = await SendAsync(box, HttpMethod.Head, "/tmp/ten");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(body);
        Assert.Equal(10, res.Content.Headers.ContentLength);
        Assert.Equal("application/octet-stream", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero), res.Content.Headers.LastModified);
        var etag = res.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        Assert.Equal("bytes", Assert.Single(res.Headers.AcceptRanges));

        // GET whole carries the same validators; a write gives a new tag.
        var get = await SendAsync(box, HttpMethod.Get, "/tmp/ten");
        Assert.Equal("0123456789", Encoding.ASCII.GetString(get.Body));
        Assert.Equal(etag, get.Res.Headers.ETag);
        await box.RunAsync("printf X >> /tmp/ten");
        var after = await SendAsync(box, HttpMethod.Head, "/tmp/ten");
        Assert.Equal(11, after.Res.Content.Headers.ContentLength);
        Assert.NotEqual(etag, after.Res.Headers.ETag);

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(box, HttpMethod.Head, "/tmp/missing")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(box, HttpMethod.Head, "/tmp")).Status);
    }

    [Fact]
    public async Task Ranges_answer_206_with_content_range_and_416_past_the_end()
    {
        await using var box = await Box.CreateAsync(S, tag: "range");
        await box.RunAsync("printf 0123456789 > /tmp/ten && : > /tmp/empty");

        async Task<(HttpStatusCode, string, string?)> Range(string range, string path = "/tmp/ten")
        {
            var (status, body, res) = await SendAsync(box, HttpMethod.Get, path, h => h.TryAddWithoutValidation("Range", range));
            return (status, Encoding.ASCII.GetString(body), res.Content.Headers.ContentRange?.ToString());
        }

        Assert.Equal((HttpStatusCode.PartialContent, "234", "bytes 2-4/10"), await Range("bytes=2-4"));
        Assert.Equal((HttpStatusCode.PartialContent, "789", "bytes 7-9/10"), await Range("bytes=7-"));
        Assert.Equal((HttpStatusCode.PartialContent, "6789", "bytes 6-9/10"), await Range("bytes=-4"));
        Assert.Equal((HttpStatusCode.PartialContent, "0123456789", "bytes 0-9/10"), await Range("bytes=-40"));
        Assert.Equal((HttpStatusCode.PartialContent, "89", "bytes 8-9/10"), await Range("bytes=8-400"));
        Assert.Equal((HttpStatusCode.RequestedRangeNotSatisfiable, "bytes */10"), (await Range("bytes=10-")) is var (s, _, cr) ? (s, cr) : default);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await Range("bytes=0-", "/tmp/empty")).Item1);
        // Several ranges are answered whole (no multipart/byteranges); a Range in another unit or unparsable is ignored.
        Assert.Equal((HttpStatusCode.OK, "0123456789", null), await Range("bytes=0-1,4-5"));
        Assert.Equal((HttpStatusCode.OK, "0123456789", null), await Range("items=0-1"));
        Assert.Equal((HttpStatusCode.OK, "0123456789", null), await Range("bytes=5-2"));
    }

    [Fact]
    public async Task If_none_match_answers_304_and_a_stale_if_range_answers_the_whole_file()
    {
        await using var box = await Box.CreateAsync(S, tag: "cond");
        await box.RunAsync("printf 0123456789 > /tmp/ten");
        var etag = (await SendAsync(box, HttpMethod.Head, "/tmp/ten")).Res.Headers.ETag!.Tag;

        var notModified = await SendAsync(box, HttpMethod.Get, "/tmp/ten", h => h.TryAddWithoutValidation("If-None-Match", $"\"other\", {etag}"));
        Assert.Equal(HttpStatusCode.NotModified, notModified.Status);
        Assert.Empty(notModified.Body);
        Assert.Equal(etag, notModified.Res.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, (await SendAsync(box, HttpMethod.Get, "/tmp/ten", h => h.TryAddWithoutValidation("If-None-Match", "*"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(box, HttpMethod.Get, "/tmp/ten", h => h.TryAddWithoutValidation("If-None-Match", "\"other\""))).Status);

        var resumed = await SendAsync(box, HttpMethod.Get, "/tmp/ten", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=5-");
            h.TryAddWithoutValidation("If-Range", etag);
        });
        Assert.Equal(HttpStatusCode.PartialContent, resumed.Status);
        Assert.Equal("56789", Encoding.ASCII.GetString(resumed.Body));

        await box.RunAsync("printf abcdefghijkl > /tmp/ten");
        var stale = await SendAsync(box, HttpMethod.Get, "/tmp/ten", h =>
        {
            h.TryAddWithoutValidation("Range", "bytes=5-");
            h.TryAddWithoutValidation("If-Range", etag);
        });
        Assert.Equal(HttpStatusCode.OK, stale.Status);
        Assert.Equal("abcdefghijkl", Encoding.ASCII.GetString(stale.Body));
        Assert.Null(stale.Res.Content.Headers.ContentRange);
        Assert.NotEqual(etag, stale.Res.Headers.ETag!.Tag);
    }
}
