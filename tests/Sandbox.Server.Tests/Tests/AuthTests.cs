using System.Net;
using System.Net.WebSockets;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class AuthTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Healthz_without_key_is_200()
    {
        var r = await Api.SendAsync(S.Anonymous, HttpMethod.Get, "healthz");
        r.Expect(200);
    }

    [Theory]
    [InlineData("GET", "v2/sandboxes/boxes")]
    [InlineData("GET", "api/v2/sandboxes/boxes")]
    [InlineData("POST", "v2/sandboxes/boxes")]
    [InlineData("GET", "v2/sandboxes/templates")]
    [InlineData("GET", "v2/sandboxes/boxes/anything")]
    [InlineData("DELETE", "v2/sandboxes/boxes/anything")]
    [InlineData("GET", "v2/sandboxes/boxes/anything/status")]
    [InlineData("POST", "v2/sandboxes/dataplane/00000000-0000-0000-0000-000000000000/execute")]
    [InlineData("GET", "no/such/route")]
    public async Task Any_other_route_without_key_is_401_and_with_wrong_key_403(string method, string path)
    {
        var ids = await S.SandboxIdsAsync();
        var missing = await Api.SendAsync(S.Anonymous, new HttpMethod(method), path,
            method is "POST" ? Api.JsonBody(new { template_name = "base", command = "true" }) : null);
        missing.ExpectError(401, "Unauthorized");

        using var wrong = new HttpRequestMessage(new HttpMethod(method), path);
        wrong.Headers.Add("X-Api-Key", S.ApiKey + "x");
        if (method is "POST") wrong.Content = Api.JsonBody(new { template_name = "base", command = "true" });
        using var res = await S.Anonymous.SendAsync(wrong);
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.StatusCode == HttpStatusCode.Forbidden, $"wrong key: expected 403, got {(int)res.StatusCode} {body}");
        Assert.Contains("Forbidden", body);

        Assert.Equal(ids, await S.SandboxIdsAsync()); // nothing was created by the refused POST
    }

    [Fact]
    public async Task Websocket_without_key_is_refused_with_401()
    {
        await using var box = await Box.CreateAsync(S, tag: "wsauth");
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ws.ConnectAsync(WsExec.UrlFor(box.DataplaneUrl), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, ws.HttpStatusCode);

        var wrong = new ClientWebSocket();
        wrong.Options.CollectHttpResponseDetails = true;
        wrong.Options.SetRequestHeader("X-Api-Key", "not-the-key");
        await Assert.ThrowsAnyAsync<WebSocketException>(() => wrong.ConnectAsync(WsExec.UrlFor(box.DataplaneUrl), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.HttpStatusCode);
    }

    [Fact]
    public void Api_key_file_is_owner_only()
    {
        var mode = File.GetUnixFileMode(Path.Combine(S.DataDir, "api-key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode & ~UnixFileMode.UserExecute);
        Assert.Equal((UnixFileMode)0, mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
    }
}
