using System.Net;
using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Service URLs through the client against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ServiceUrlTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task A_service_url_reaches_a_web_server_inside_the_sandbox()
    {
        var box = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("svc") })).Sandbox;
        try
        {
            var start = await Client.Commands.RunAsync(box.Name, new CommandRequest(
                "mkdir -p /home/user/site && echo client-hello > /home/user/site/hi.txt && cd /home/user/site && " +
                "(setsid python3 -m http.server 8090 --bind 127.0.0.1 < /dev/null > /tmp/http.log 2>&1 &) && " +
                "for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8090), 1)' 2>/dev/null && exit 0; sleep 0.1; done; exit 1"));
            Assert.Equal(0, start.ExitCode);

            var url = await Client.Sandboxes.GetServiceUrlAsync(box.Name, 8090, TimeSpan.FromMinutes(5));
            Assert.Equal(box.Name, url.SandboxName);
            Assert.Equal(8090, url.Port);
            Assert.EndsWith($"/v2/sandboxes/service/{box.Id}/8090", url.ServiceUrl);
            Assert.Equal($"{url.ServiceUrl}/?token={url.Token}", url.BrowserUrl);
            Assert.InRange((url.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds, 240, 360);
            Assert.StartsWith("ws://", SandboxServiceUrl.ToWebSocketUrl(url.ServiceUrl));

            using var http = new HttpClient();
            using (var req = new HttpRequestMessage(HttpMethod.Get, url.ServiceUrl + "/hi.txt"))
            {
                req.Headers.Add(SandboxServiceUrl.TokenHeader, url.Token);
                using var res = await http.SendAsync(req);
                Assert.Equal(HttpStatusCode.OK, res.StatusCode);
                Assert.Equal("client-hello\n", await res.Content.ReadAsStringAsync());
            }
            using (var res = await http.GetAsync(url.ServiceUrl + "/hi.txt"))
                Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
            // The browser URL: redirect with a cookie, then the page.
            Assert.Equal("client-hello\n", await http.GetStringAsync(url.BrowserUrl.Replace("/?token=", "/hi.txt?token=")));

            // Default expiry: the server's (one hour).
            var longer = await Client.Sandboxes.GetServiceUrlAsync(box.Name, 8090);
            Assert.InRange((longer.ExpiresAt - DateTimeOffset.UtcNow).TotalMinutes, 55, 65);
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(box.Name);
        }
    }

    [Fact]
    public async Task Typed_errors_and_argument_checks()
    {
        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.GetServiceUrlAsync("no-such-box", 8080));
        Assert.Equal("SandboxNotFound", missing.ErrorId());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.Sandboxes.GetServiceUrlAsync("x", 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.Sandboxes.GetServiceUrlAsync("x", 80, TimeSpan.FromDays(2)));
    }
}
