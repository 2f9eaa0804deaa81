using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// leap0's data plane on the real server: <c>https://{id}-{port}.{domain}</c> with the API key and
/// <c>https://{token}.{domain}</c> without it reach a port inside the sandbox, over TLS from the server's own CA, and
/// nothing else is reached. Only the <c>/v1</c> JSON responses are checked against leap0's OpenAPI (proxied bodies are the app's).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0DataPlaneTests(ServerFixture fixture)
{
    private const string CreatePath = "/v1/sandbox/{sandboxID}/presigned-url", DeletePath = "/v1/sandbox/{sandboxID}/presigned-url/{id}";
    private const int AppPort = 8182;
    private ServerProcess S => fixture.Server;

    /// <summary>Answers every GET with what arrived: path, the auth headers and Host (stdlib only).</summary>
    private const string App = """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_GET(self):
                h = self.headers
                body = ("path=%s\nauthorization=%s\nleap0=%s\nhost=%s\n" % (self.path, h.get("authorization"), h.get("leap0-authorization"), h.get("host"))).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """;

    private static async Task StartAppAsync(HttpClient http, string id)
    {
        var write = $"v1/sandbox/{id}/filesystem/write-file?path=/home/user/echo.py";
        (await Api.SendAsync(http, HttpMethod.Post, write, new ByteArrayContent(Encoding.UTF8.GetBytes(App)) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } })).Expect(204);
        var exec = $"v1/sandbox/{id}/process/execute";
        (await http.L0PostAsync(exec, new { command = $"(setsid python3 /home/user/echo.py {AppPort} </dev/null >/tmp/echo.log 2>&1 &)" })).Expect(200);
        var wait = (await http.L0PostAsync(exec, new { command = $"for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {AppPort}), 1)' 2>/dev/null && exit 0; sleep 0.1; done; cat /tmp/echo.log; exit 1" })).Expect(200).Json;
        Assert.True(wait.GetProperty("exit_code").GetInt32() == 0, wait.ToString());
    }

    private static void ExpectLeap0Error(Resp r, int status)
    {
        r.Expect(status);
        Assert.False(string.IsNullOrWhiteSpace(r.Json.Str("message")), r.Text);
    }

    [Fact]
    public void The_ready_line_and_the_data_dir_name_the_domain_and_the_CA()
    {
        var ready = S.Ready!;
        Assert.Matches(@"^sandbox\.localhost:\d+$", ready.DataPlaneDomain);
        Assert.Equal(Path.Combine(S.DataDir, "tls", "ca.crt"), ready.DataPlaneCaFile);
        var info = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(S.DataDir, "data-plane.json"))).RootElement;
        Assert.Equal(ready.DataPlaneDomain, info.Str("domain"));
        Assert.Equal(ready.DataPlaneCaFile, info.Str("ca_file"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(ready.DataPlaneCaFile!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(S.DataDir, "tls", "ca.key")));
        Assert.Contains("BEGIN CERTIFICATE", File.ReadAllText(ready.DataPlaneCaFile!));
    }

    [Fact]
    public async Task Hosts_that_name_no_sandbox_are_404_and_the_key_is_checked_before_the_id()
    {
        using var plane = new DataPlaneClient(S);
        var bearer = ("authorization", $"Bearer {S.ApiKey}");
        var unknown = Guid.NewGuid().ToString();
        ExpectLeap0Error(await plane.SendAsync(plane.Url($"{unknown}-8080"), bearer), 404);
        ExpectLeap0Error(await plane.SendAsync(plane.Url(unknown), bearer), 404);
        ExpectLeap0Error(await plane.SendAsync(plane.Url($"{unknown}-8080")), 401);
        // Not a sandbox label (an unknown token, a host address, a name), and the bare domain: 404, and the control
        // plane is not reachable through the data plane's listener whatever the path.
        foreach (var path in new[] { "/", "/v1/sandboxes", "/v2/sandboxes/boxes", "/healthz" })
        {
            foreach (var label in new[] { "0123456789abcdef0123456789abcdef0123456789abcdef", "127-0-0-1-8080", "localhost" })
                ExpectLeap0Error(await plane.SendAsync(plane.Url(label, path), bearer), 404);
            ExpectLeap0Error(await plane.SendAsync(new Uri($"https://{plane.Domain}{path}"), bearer), 404);
        }
    }

    [Fact]
    public async Task Sandbox_ports_are_reached_with_the_key_or_a_presigned_token_and_nothing_else()
    {
        using var http = Leap0Api.Client(S);
        using var plane = new DataPlaneClient(S);
        var id = await http.CreateTrackedAsync(S);
        try
        {
            await StartAppAsync(http, id);
            var host = $"{id}-{AppPort}";

            // The key as the SDK sends it: the app answers, and does not see the key.
            var ok = (await plane.SendAsync(plane.Url(host, "/some/path?q=1&r=%2F"), ("authorization", $"Bearer {S.ApiKey}"))).Expect(200);
            Assert.Contains("path=/some/path?q=1&r=%2F\n", ok.Text);
            Assert.Contains("authorization=None\n", ok.Text);
            Assert.Contains($"host=localhost:{AppPort}\n", ok.Text);
            // The certificate: chains to the server's CA alone and names the host.
            Assert.True(plane.LastCertificateValid);
            Assert.True(plane.LastCertificate!.MatchesHostname($"{host}.sandbox.localhost"));
            // leap0-authorization and the bare key work too; the app's own authorization header passes through.
            var other = (await plane.SendAsync(plane.Url(host), ("leap0-authorization", S.ApiKey), ("authorization", "Basic YXBwOnB3"))).Expect(200);
            Assert.Contains("authorization=Basic YXBwOnB3\n", other.Text);
            Assert.Contains("leap0=None\n", other.Text);
            (await plane.SendAsync(plane.Url(host), ("authorization", S.ApiKey))).Expect(200);

            // Without the key, or with a wrong one: 401, also for the id without a port.
            ExpectLeap0Error(await plane.SendAsync(plane.Url(host)), 401);
            ExpectLeap0Error(await plane.SendAsync(plane.Url(host), ("authorization", "Bearer wrong")), 401);
            ExpectLeap0Error(await plane.SendAsync(plane.Url(id)), 401);
            // A port is the sandbox's own: the server's API port named in the host is the sandbox's port, where nothing listens.
            var apiPort = (await plane.SendAsync(plane.Url($"{id}-{S.Port}", "/healthz"), ("authorization", $"Bearer {S.ApiKey}"))).Expect(502);
            Assert.DoesNotContain("\"ok\"", apiPort.Text);
            ExpectLeap0Error(apiPort, 502);

            // A presigned URL: leap0's https://<token>.<domain>, no key; deleted, it is 404.
            var created = (await http.L0PostAsync($"v1/sandbox/{id}/presigned-url", new { port = AppPort, expires_in = 120 })).Expect(201).Conforms("POST", CreatePath).Json;
            Assert.Equal($"https://{created.Str("token")}.{plane.Domain}", created.Str("url"));
            var url = new Uri(created.Str("url"));
            var anonymous = (await plane.SendAsync(new Uri(url, "/via/token"))).Expect(200);
            Assert.Contains("path=/via/token\n", anonymous.Text);
            Assert.True(plane.LastCertificateValid);
            // The token opens its one port: a token label with a port suffix is no host at all.
            ExpectLeap0Error(await plane.SendAsync(plane.Url($"{created.Str("token")}-{S.Port}")), 404);

            // Paused, the sandbox resumes on the next request, as on /v1.
            (await http.L0PostAsync($"v1/sandbox/{id}/pause", null)).Expect(201);
            Assert.Equal("paused", (await http.L0GetAsync($"v1/sandbox/{id}/")).Expect(200).Json.Str("state"));
            (await plane.SendAsync(new Uri(url, "/after/pause"))).Expect(200);
            Assert.Equal("running", (await http.L0GetAsync($"v1/sandbox/{id}/")).Expect(200).Json.Str("state"));

            (await http.L0DeleteAsync($"v1/sandbox/{id}/presigned-url/{created.Str("id")}")).Expect(204).Conforms("DELETE", DeletePath);
            ExpectLeap0Error(await plane.SendAsync(url), 404);
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
        // A deleted sandbox is no host any more.
        ExpectLeap0Error(await plane.SendAsync(plane.Url($"{id}-{AppPort}"), ("authorization", $"Bearer {S.ApiKey}")), 404);
    }
}

/// <summary>A server started without <c>--data-plane-listen</c> (the default): no data plane, and presigned URLs in the service-URL form.</summary>
public sealed class Leap0DataPlaneOffTests
{
    [Fact]
    public async Task Without_the_data_plane_presigned_urls_are_service_urls_and_nothing_names_a_domain()
    {
        await using var s = await ServerProcess.StartAsync(1);
        Assert.Null(s.Ready!.DataPlaneDomain);
        Assert.Null(s.Ready.DataPlaneCaFile);
        Assert.False(File.Exists(Path.Combine(s.DataDir, "data-plane.json")));
        using var http = Leap0Api.Client(s);
        var id = await http.CreateTrackedAsync(s);
        var created = (await http.L0PostAsync($"v1/sandbox/{id}/presigned-url", new { port = 8080 })).Expect(201)
            .Conforms("POST", "/v1/sandbox/{sandboxID}/presigned-url").Json;
        Assert.Equal($"{s.BaseUrl}v2/sandboxes/service/{id}/8080/?token={created.Str("token")}", created.Str("url"));
        (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
    }
}
