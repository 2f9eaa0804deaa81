using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>Service URLs: a web server inside a sandbox answers through the proxy, authorised by the token only.</summary>
[Collection(ServerCollection.Name)]
public sealed class ServiceUrlTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string TokenHeader = "X-Langsmith-Sandbox-Service-Token";

    /// <summary>
    /// HTTP (files of its directory, /echo reports what arrived, POST echoes the body) and a WebSocket echo on the same
    /// port, stdlib only: the handshake and framing are done by hand.
    /// </summary>
    private const string App = """
        import base64, hashlib, http.server, os, struct, sys
        class H(http.server.SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def reply(self, code, body, ctype="text/plain"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-App", "yes")
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                if self.headers.get("Upgrade", "").lower() == "websocket": return self.ws()
                if self.path.startswith("/echo"):
                    seen = ["path=" + self.path, "host=" + str(self.headers.get("Host")), "cookie=" + str(self.headers.get("Cookie")),
                            "token=" + str(self.headers.get("X-Langsmith-Sandbox-Service-Token")), "apikey=" + str(self.headers.get("X-Api-Key")),
                            "custom=" + str(self.headers.get("X-Custom"))]
                    return self.reply(200, ("\n".join(seen) + "\n").encode())
                return super().do_GET()
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n)
                self.reply(201, b"got:" + data, "application/octet-stream")
            def frame(self, first, data):
                n = len(data)
                head = bytes([first]) + (bytes([n]) if n < 126 else struct.pack("!BH", 126, n) if n < 65536 else struct.pack("!BQ", 127, n))
                self.wfile.write(head + data); self.wfile.flush()
            def ws(self):
                key = self.headers["Sec-WebSocket-Key"]
                accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
                self.send_response(101)
                self.send_header("Upgrade", "websocket"); self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept); self.end_headers(); self.wfile.flush()
                self.close_connection = True
                while True:
                    b = self.rfile.read(2)
                    if len(b) < 2: return
                    op, n = b[0] & 15, b[1] & 127
                    if n == 126: n = struct.unpack("!H", self.rfile.read(2))[0]
                    elif n == 127: n = struct.unpack("!Q", self.rfile.read(8))[0]
                    mask = self.rfile.read(4) if b[1] & 128 else b"\0\0\0\0"
                    data = bytes(c ^ mask[i % 4] for i, c in enumerate(self.rfile.read(n)))
                    if op == 8: return self.frame(0x88, data[:2])
                    if op == 9: self.frame(0x8A, data); continue
                    self.frame(b[0] & 0x8F, data)  # same FIN bit and opcode: fragments stay fragments
        os.chdir("/home/user/site")
        http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """;

    private static async Task StartAppAsync(Box box, int port)
    {
        (await box.UploadAsync("/home/user/app.py", Encoding.UTF8.GetBytes(App))).Expect(200);
        (await box.UploadAsync("/home/user/site/hello.txt", "hello from the sandbox\n"u8.ToArray())).Expect(200);
        await box.RunAsync($"setsid python3 /home/user/app.py {port} < /dev/null > /tmp/app.log 2>&1 &");
        // Bounded wait until it listens: at most 100 x 100 ms, all inside the sandbox.
        await box.RunAsync($"for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 1)' 2>/dev/null && exit 0; sleep 0.1; done; cat /tmp/app.log; exit 1");
    }

    private async Task<(string ServiceUrl, string BrowserUrl, string Token, DateTime ExpiresAt)> IssueAsync(Box box, int port, int? expiresIn = null)
    {
        var body = new JsonObject { ["port"] = port };
        if (expiresIn is not null) body["expires_in_seconds"] = expiresIn;
        var j = (await S.PostAsync(box.Path + "/service-url", body)).Expect(200).Json;
        return (j.Str("service_url"), j.Str("browser_url"), j.Str("token"), j.GetProperty("expires_at").GetDateTime().ToUniversalTime());
    }

    private static async Task<Resp> SendAsync(HttpClient http, HttpMethod method, string url, string? token = null, HttpContent? content = null, Action<HttpRequestMessage>? edit = null)
    {
        using var req = new HttpRequestMessage(method, url) { Content = content };
        if (token is not null) req.Headers.Add(TokenHeader, token);
        edit?.Invoke(req);
        using var res = await http.SendAsync(req);
        return new Resp(res.StatusCode, await res.Content.ReadAsStringAsync(), res.Headers, res.Content.Headers);
    }

    [Fact]
    public async Task A_web_server_inside_answers_through_the_service_url_with_the_token_header()
    {
        await using var box = await Box.CreateAsync(S, tag: "svc");
        await StartAppAsync(box, 8080);
        var (serviceUrl, browserUrl, token, expiresAt) = await IssueAsync(box, 8080);
        Assert.Equal($"{S.BaseUrl.ToString().TrimEnd('/')}/v2/sandboxes/service/{box.Id}/8080", serviceUrl);
        Assert.Equal($"{serviceUrl}/?token={token}", browserUrl);
        Assert.True(token.Length >= 32, token);
        Assert.InRange((expiresAt - DateTime.UtcNow).TotalSeconds, 3500, 3700);

        var file = (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt", token)).Expect(200);
        Assert.Equal("hello from the sandbox\n", file.Text);

        // Path, query and our own headers: the token and any API key never reach the app; other headers do.
        var echo = (await SendAsync(S.Http, HttpMethod.Get, serviceUrl + "/echo/a%20b?x=1&y=2", token, edit: r => r.Headers.Add("X-Custom", "kept"))).Expect(200).Text;
        Assert.Contains("path=/echo/a%20b?x=1&y=2\n", echo);
        Assert.Contains("host=localhost:8080\n", echo);
        Assert.Contains("token=None\n", echo);
        Assert.Contains("apikey=None\n", echo);
        Assert.Contains("custom=kept\n", echo);
        Assert.True((await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/echo", token)).Headers.Contains("X-App"));

        // A request body streams through, and the app's status comes back.
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        using var content = new ByteArrayContent(payload);
        using var req = new HttpRequestMessage(HttpMethod.Post, serviceUrl + "/upload") { Content = content };
        req.Headers.Add(TokenHeader, token);
        using var res = await S.Anonymous.SendAsync(req);
        Assert.Equal(HttpStatusCode.Created, res.StatusCode);
        var back = await res.Content.ReadAsByteArrayAsync();
        Assert.Equal("got:"u8.ToArray().Concat(payload).ToArray(), back);

        // The base URL itself is the app's root.
        var root = (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl, token)).Expect(200);
        Assert.Contains("hello.txt", root.Text);
    }

    [Fact]
    public async Task Missing_wrong_foreign_and_expired_tokens_are_refused_and_the_api_key_alone_does_not_open_it()
    {
        await using var box = await Box.CreateAsync(S, tag: "svc-auth");
        await StartAppAsync(box, 8081);
        var (serviceUrl, _, token, _) = await IssueAsync(box, 8081);
        var (_, _, otherPortToken, _) = await IssueAsync(box, 9999);
        var (shortUrl, shortBrowser, shortToken, _) = await IssueAsync(box, 8081, expiresIn: 1);

        (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt")).ExpectError(401, "Unauthorized");
        // The API key is not a service token.
        (await SendAsync(S.Http, HttpMethod.Get, serviceUrl + "/hello.txt")).ExpectError(401, "Unauthorized");
        (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt", S.ApiKey)).ExpectError(403, "Forbidden");
        (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt", token + "x")).ExpectError(403, "Forbidden");
        (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt", otherPortToken)).ExpectError(403, "Forbidden");
        (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt?token=nope")).ExpectError(403, "Forbidden");
        // A token is bound to its sandbox: the same port of another id is refused.
        var foreign = serviceUrl.Replace(box.Id, Guid.NewGuid().ToString());
        (await SendAsync(S.Anonymous, HttpMethod.Get, foreign + "/hello.txt", token)).ExpectError(403, "Forbidden");

        (await SendAsync(S.Anonymous, HttpMethod.Get, shortUrl + "/hello.txt", shortToken)).Expect(200);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        (await SendAsync(S.Anonymous, HttpMethod.Get, shortUrl + "/hello.txt", shortToken)).ExpectError(403, "Forbidden");
        (await SendAsync(S.Anonymous, HttpMethod.Get, shortBrowser)).ExpectError(403, "Forbidden");
        // The long-lived token still works.
        (await SendAsync(S.Anonymous, HttpMethod.Get, serviceUrl + "/hello.txt", token)).Expect(200);
    }

    [Fact]
    public async Task The_browser_url_sets_an_http_only_cookie_for_the_service_path_and_redirects_without_the_token()
    {
        await using var box = await Box.CreateAsync(S, tag: "svc-browser");
        await StartAppAsync(box, 8082);
        var (serviceUrl, browserUrl, token, _) = await IssueAsync(box, 8082);
        var jar = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false });

        var first = await SendAsync(browser, HttpMethod.Get, browserUrl);
        Assert.Equal(302, first.Code);
        var location = first.Headers.Location!.ToString();
        Assert.Equal($"/v2/sandboxes/service/{box.Id}/8082/", location);
        var setCookie = string.Join("\n", first.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"path=/v2/sandboxes/service/{box.Id}/8082/", setCookie, StringComparison.OrdinalIgnoreCase);

        var page = (await SendAsync(browser, HttpMethod.Get, serviceUrl + "/hello.txt")).Expect(200);
        Assert.Equal("hello from the sandbox\n", page.Text);
        // The cookie is ours: the app does not see it.
        var echo = (await SendAsync(browser, HttpMethod.Get, serviceUrl + "/echo")).Expect(200).Text;
        Assert.Contains("cookie=None\n", echo);
        // Other ports of the same sandbox do not get the cookie.
        (await SendAsync(browser, HttpMethod.Get, serviceUrl.Replace("/8082", "/8083") + "/hello.txt")).ExpectError(401, "Unauthorized");
        // A deep link with the token keeps its path and query.
        var deep = await SendAsync(browser, HttpMethod.Get, $"{serviceUrl}/echo?a=1&token={token}&b=2");
        Assert.Equal(302, deep.Code);
        Assert.Equal($"/v2/sandboxes/service/{box.Id}/8082/echo?a=1&b=2", deep.Headers.Location!.ToString());
    }

    [Fact]
    public async Task A_websocket_echo_round_trips_through_the_proxy()
    {
        await using var box = await Box.CreateAsync(S, tag: "svc-ws");
        await StartAppAsync(box, 8084);
        var (serviceUrl, browserUrl, token, _) = await IssueAsync(box, 8084);
        var wsUrl = new Uri("ws://" + serviceUrl["http://".Length..] + "/socket");

        using (var ws = new ClientWebSocket())
        {
            ws.Options.SetRequestHeader(TokenHeader, token);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(wsUrl, cts.Token);
            var buffer = new byte[256 * 1024];
            foreach (var text in new[] { "hello", "second message", new string('x', 70_000) })
            {
                await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
                var (type, got) = await ReceiveMessageAsync(ws, buffer, cts.Token);
                Assert.Equal(WebSocketMessageType.Text, type);
                Assert.Equal(text, Encoding.UTF8.GetString(got));
            }
            var binary = new byte[] { 0, 1, 2, 255, 254 };
            await ws.SendAsync(binary, WebSocketMessageType.Binary, true, cts.Token);
            var (btype, bgot) = await ReceiveMessageAsync(ws, buffer, cts.Token);
            Assert.Equal(WebSocketMessageType.Binary, btype);
            Assert.Equal(binary, bgot);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            Assert.Equal(WebSocketState.Closed, ws.State);
        }

        // The browser form carries the token in the query (browsers cannot set WebSocket headers).
        using (var ws = new ClientWebSocket())
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(new Uri("ws://" + browserUrl["http://".Length..]), cts.Token);
            await ws.SendAsync("via browser url"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
            var (_, got) = await ReceiveMessageAsync(ws, new byte[1024], cts.Token);
            Assert.Equal("via browser url", Encoding.UTF8.GetString(got));
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        }

        // Without a token the upgrade is refused.
        using (var ws = new ClientWebSocket())
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            ws.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAnyAsync<WebSocketException>(() => ws.ConnectAsync(wsUrl, cts.Token));
            Assert.Equal(HttpStatusCode.Unauthorized, ws.HttpStatusCode);
        }
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(ClientWebSocket ws, byte[] buffer, CancellationToken ct)
    {
        var all = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, ct);
            all.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, all.ToArray());
        }
    }

    [Fact]
    public async Task Validation_not_found_not_ready_and_nothing_listening()
    {
        await using var box = await Box.CreateAsync(S, tag: "svc-val");
        (await S.PostAsync(box.Path + "/service-url", new { })).ExpectValidation("port");
        (await S.PostAsync(box.Path + "/service-url", new { port = 0 })).ExpectValidation("port");
        (await S.PostAsync(box.Path + "/service-url", new { port = 65536 })).ExpectValidation("port");
        (await S.PostAsync(box.Path + "/service-url", new { port = "8080" })).ExpectValidation("port");
        (await S.PostAsync(box.Path + "/service-url", new { port = 8080, expires_in_seconds = 0 })).ExpectValidation("expires_in_seconds");
        (await S.PostAsync(box.Path + "/service-url", new { port = 8080, expires_in_seconds = 86401 })).ExpectValidation("expires_in_seconds");
        (await S.PostAsync(Api.Box("no-such-box") + "/service-url", new { port = 8080 })).ExpectError(404, "SandboxNotFound");
        (await S.PostAsync("api/" + box.Path + "/service-url", new { port = 8080, expires_in_seconds = 86400 })).Expect(200);

        // Nothing listens on the port: 502 from the proxy.
        var (url, _, token, _) = await IssueAsync(box, 7777);
        (await SendAsync(S.Anonymous, HttpMethod.Get, url + "/", token)).ExpectError(502, "BadGateway");

        // A stopped sandbox: 400 NotReady for both a new URL and the proxy.
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        (await S.PostAsync(box.Path + "/service-url", new { port = 8080 })).ExpectError(400, "NotReady");
        (await SendAsync(S.Anonymous, HttpMethod.Get, url + "/", token)).ExpectError(400, "NotReady");
    }
}
