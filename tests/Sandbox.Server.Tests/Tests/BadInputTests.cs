using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Bad input never answers 500 (issue 8, "Bad input never 500"): invalid UTF-8, NUL characters, duplicate keys,
/// malformed multipart, /proc and /sys transfers, bad WebSocket first frames; uploads are atomic.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputTests(ServerFixture fixture, ITestOutputHelper output)
{
    private ServerProcess S => fixture.Server;

    private const string Missing = "no-such-thing-badinput";

    /// <summary>Every route that reads a JSON body. Names and ids do not exist: the body is checked before the lookup.</summary>
    public static TheoryData<string, string> JsonEndpoints => new()
    {
        { "POST", "v2/sandboxes/boxes" },
        { "PATCH", $"v2/sandboxes/boxes/{Missing}" },
        { "POST", $"v2/sandboxes/boxes/{Missing}/stop" },
        { "POST", $"v2/sandboxes/boxes/{Missing}/start" },
        { "POST", $"v2/sandboxes/boxes/{Missing}/pause" },
        { "POST", $"v2/sandboxes/boxes/{Missing}/resume" },
        { "POST", $"v2/sandboxes/boxes/{Missing}/snapshot" },
        { "POST", $"v2/sandboxes/boxes/{Missing}/service-url" },
        { "POST", "v2/sandboxes/templates" },
        { "PATCH", $"v2/sandboxes/templates/{Missing}" },
        { "POST", "v2/sandboxes/volumes" },
        { "PATCH", $"v2/sandboxes/volumes/{Missing}" },
        { "POST", "v2/sandboxes/pools" },
        { "PATCH", $"v2/sandboxes/pools/{Missing}" },
        { "POST", "v2/sandboxes/snapshots" },
        { "POST", $"v2/sandboxes/dataplane/{Missing}/execute" },
        { "POST", "api/v2/sandboxes/boxes" },
    };

    private Task<Resp> SendBytesAsync(string method, string url, byte[] body, string contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return Api.SendAsync(S.Http, new HttpMethod(method), url, content);
    }

    /// <summary>JSON text with \xNN escapes turned into raw bytes (so that bodies can carry invalid UTF-8).</summary>
    private static byte[] Raw(string text)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length && text[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 2, 2), 16));
                i += 3;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
        }
        return [.. bytes];
    }

    private static void AssertNot5xx(Resp r, string what) => Assert.True(r.Code < 500, $"{what}: {r}");

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task Invalid_utf8_in_a_string_is_422_naming_the_field(string method, string url)
    {
        // The finding's body: an encoded surrogate (ED A0 80), which is not valid UTF-8.
        var r = await SendBytesAsync(method, url, Raw("{\"name\":\"\\xed\\xa0\\x80\"}"));
        r.ExpectValidation("name");
        Assert.Equal("string_unicode", r.Json.GetProperty("detail")[0].Str("type"));
        // A stray byte, and an escaped lone surrogate, in another field.
        r = await SendBytesAsync(method, url, Raw("{\"template_name\":\"a\\xffb\"}"));
        r.ExpectValidation("template_name");
        r = await SendBytesAsync(method, url, Encoding.UTF8.GetBytes("{\"command\":\"\\ud800\"}"));
        r.ExpectValidation("command");
        // Nested: the loc goes down to the item.
        r = await SendBytesAsync(method, url, Raw("{\"env\":{\"A\":\"\\xc3\"}}"));
        r.ExpectValidation("env");
        Assert.Equal(["body", "env", "A"], r.Locs[0]);
    }

    [Theory]
    [InlineData("{\"command\":\"true\",\"cwd\":\"a\\u0000\"}", "cwd")]
    [InlineData("{\"command\":\"tr\\u0000ue\"}", "command")]
    [InlineData("{\"command\":\"true\",\"shell\":\"/bin/sh\\u0000\"}", "shell")]
    [InlineData("{\"command\":\"true\",\"env\":{\"A\":\"x\\u0000y\"}}", "env")]
    [InlineData("{\"command\":\"true\",\"env\":{\"A\\u0000B\":\"x\"}}", "env")]
    public async Task Nul_in_execute_strings_is_422_naming_the_field(string body, string field)
    {
        await using var box = await Box.CreateAsync(S, tag: "badin");
        var r = await SendBytesAsync("POST", box.DataplaneUrl + "/execute", Encoding.UTF8.GetBytes(body));
        r.ExpectValidation(field);
    }

    [Theory]
    [InlineData("POST", "v2/sandboxes/boxes", "{\"template_name\":\"base\",\"name\":\"a\\u0000b\"}", "name")]
    [InlineData("POST", "v2/sandboxes/templates", "{\"name\":\"nul-tpl\",\"image\":\"rootfs:/srv\\u0000x\"}", "image")]
    [InlineData("POST", "v2/sandboxes/snapshots", "{\"name\":\"nul-snap\",\"docker_image\":\"/tmp/x\\u0000y\"}", "docker_image")]
    [InlineData("PATCH", $"v2/sandboxes/boxes/{Missing}", "{\"name\":\"\\u0000\"}", "name")]
    public async Task Nul_in_control_plane_strings_is_422_naming_the_field(string method, string url, string body, string field)
    {
        var r = await SendBytesAsync(method, url, Encoding.UTF8.GetBytes(body));
        r.ExpectValidation(field);
    }

    [Theory]
    [InlineData("POST", $"v2/sandboxes/dataplane/{Missing}/execute", "{\"command\":\"true\",\"command\":\"false\"}", "command")]
    [InlineData("POST", "v2/sandboxes/boxes", "{\"template_name\":\"base\",\"name\":\"dup-a\",\"name\":\"dup-b\"}", "name")]
    [InlineData("PATCH", $"v2/sandboxes/boxes/{Missing}", "{\"env\":{\"A\":\"1\",\"A\":\"2\"}}", "A")]
    [InlineData("POST", "v2/sandboxes/volumes", "{\"name\":\"dup-vol\",\"size\":\"16Mi\",\"size\":\"32Mi\"}", "size")]
    public async Task Duplicate_keys_are_422_naming_the_field(string method, string url, string body, string field)
    {
        var r = await SendBytesAsync(method, url, Encoding.UTF8.GetBytes(body));
        if (r.TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("id", out var id)) S.Track(id.GetString()!);
        r.ExpectValidation(field);
        Assert.Equal("duplicate_key", r.Json.GetProperty("detail")[0].Str("type"));
        (await S.GetAsync("v2/sandboxes/volumes/dup-vol")).Expect(404);
        (await S.GetAsync(Api.Box("dup-a"))).Expect(404);
        (await S.GetAsync(Api.Box("dup-b"))).Expect(404);
    }

    private async Task<Resp> UploadRawAsync(Box box, string path, string contentType, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await Api.SendAsync(S.Http, HttpMethod.Post, $"{box.DataplaneUrl}/upload?path={Uri.EscapeDataString(path)}", content);
    }

    private static string FilePart(string boundary, string data) =>
        $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n{data}";

    [Fact]
    public async Task Malformed_multipart_is_4xx_naming_the_part_and_keeps_the_old_file()
    {
        await using var box = await Box.CreateAsync(S, tag: "badin");
        const string path = "/home/user/multipart-target.txt";
        (await box.UploadAsync(path, "old content"u8.ToArray())).Expect(200);

        var cases = new (string Name, string ContentType, string Body, string Field)[]
        {
            // The finding: boundary "--X" and a file part cut off before its closing boundary.
            ("truncated file part", "multipart/form-data; boundary=--X", FilePart("--X", "new content that never ends"), "file"),
            ("truncated after CRLF", "multipart/form-data; boundary=--X", FilePart("--X", "new\r\n--"), "file"),
            ("part headers cut", "multipart/form-data; boundary=--X", "--X\r\nContent-Disposition: form-data; name=\"file\"", "body"),
            ("no boundary line at all", "multipart/form-data; boundary=--X", "just some bytes", "body"),
            ("bad header line", "multipart/form-data; boundary=X", "--X\r\nnot a header\r\n\r\ndata\r\n--X--\r\n", "body"),
            ("boundary over 70 chars", "multipart/form-data; boundary=" + new string('b', 100), FilePart(new string('b', 100), "x\r\n--" + new string('b', 100) + "--\r\n"), "body"),
            ("empty body", "multipart/form-data; boundary=X", "", "body"),
            ("no file part", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--X--\r\n", "file"),
            ("not multipart", "application/json", "{}", "body"),
        };
        foreach (var (name, contentType, body, field) in cases)
        {
            var r = await UploadRawAsync(box, path, contentType, Encoding.UTF8.GetBytes(body));
            output.WriteLine($"{name}: {r}");
            Assert.True(r.Code is >= 400 and < 500, $"{name}: expected a 4xx, got {r}");
            r.ExpectValidation(field);
            Assert.Equal("old content", await box.RunAsync($"cat {path}"));
        }
        Assert.Equal("", (await box.RunAsync("ls -A /home/user | grep sandbox-upload || true")).Trim());
    }

    [Theory]
    [InlineData("/proc/1/mem")]
    [InlineData("/proc/1/status")]
    [InlineData("/proc/self/environ")]
    [InlineData("/sys/kernel/uevent_seqnum")]
    [InlineData("/home/../proc/1/status")]
    [InlineData("proc-link")] // a symlink in /home/user to /proc/1/status: refused by the helper
    [InlineData("/dev/null")]
    [InlineData("/dev/zero")]
    public async Task Download_of_proc_sys_or_a_device_is_400_naming_the_path(string path)
    {
        await using var box = await Box.CreateAsync(S, tag: "badin");
        await box.RunAsync("ln -sfn /proc/1/status /home/user/proc-link");
        var (status, bytes, _) = await box.DownloadAsync(path);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.True(status == 400, $"{path}: expected 400, got {status} {text}");
        Assert.Contains("NotARegularFile", text);
        var shown = path.StartsWith('/') ? path.Replace("/home/..", "") : "/home/user/" + path;
        Assert.True(text.Contains(shown) || text.Contains(path), $"the error does not name {path}: {text}");
    }

    [Theory]
    [InlineData("/proc/sys/kernel/hostname")]
    [InlineData("/proc/self/comm")]
    [InlineData("/sys/no-such-file-badinput")] // never a real sysfs file: a regression must not write the host's /sys
    [InlineData("/dev/null")]
    public async Task Upload_to_proc_sys_or_a_device_is_400_naming_the_path(string path)
    {
        await using var box = await Box.CreateAsync(S, tag: "badin");
        var hostname = await box.RunAsync("cat /proc/sys/kernel/hostname");
        var r = await box.UploadAsync(path, "x"u8.ToArray());
        Assert.True(r.Code == 400, $"{path}: expected 400, got {r}");
        Assert.Equal("NotARegularFile", r.ErrorType);
        Assert.Contains(path, r.Text);
        Assert.Equal(hostname, await box.RunAsync("cat /proc/sys/kernel/hostname"));
    }

    [Theory]
    [InlineData("[{\"type\":\"execute\",\"command\":\"true\"}]")]
    [InlineData("\"execute\"")]
    [InlineData("{\"type\":5,\"command\":\"true\"}")]
    [InlineData("{\"type\":null}")]
    [InlineData("{\"command\":\"true\"}")]
    [InlineData("{\"type\":\"execute\",\"type\":\"reconnect\",\"command\":\"true\"}")]
    [InlineData("{\"type\":\"execute\",\"command\":\"true\",\"cwd\":\"a\\u0000\"}")]
    [InlineData("not json")]
    [InlineData("\\xed\\xa0\\x80")]
    public async Task Bad_websocket_first_frame_gets_an_error_frame_then_a_close_code(string frame)
    {
        await using var box = await Box.CreateAsync(S, tag: "badin");
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        // Invalid UTF-8 goes in a binary message: in a text message .NET's WebSocket layer refuses it first (it sends a
        // 1007 close and drops the connection, before our code sees the message).
        var bytes = frame.StartsWith("\\x") ? Raw($"{{\"type\":\"execute\",\"command\":\"{frame}\"}}") : Encoding.UTF8.GetBytes(frame);
        await ws.Socket.SendAsync(bytes, frame.StartsWith("\\x") ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
        var error = await ws.ReceiveAsync(TimeSpan.FromSeconds(10));
        Assert.True(error is not null, "the server closed without an error frame");
        Assert.Equal("error", error.Value.Str("type"));
        Assert.False(string.IsNullOrEmpty(error.Value.Str("error_type")));
        Assert.False(string.IsNullOrEmpty(error.Value.Str("error")));
        Assert.Null(await ws.ReceiveAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ws.Socket.CloseStatus is WebSocketCloseStatus.PolicyViolation or WebSocketCloseStatus.InvalidMessageType,
            $"close status {ws.Socket.CloseStatus} ({(int?)ws.Socket.CloseStatus})");
    }

    /// <summary>
    /// Starts an upload over a raw socket that announces 256 MiB, sends the part's headers and <paramref name="sendBytes"/>,
    /// and leaves the socket open (the caller aborts it).
    /// </summary>
    private static async Task<Socket> StartHangingUploadAsync(ServerProcess server, Box box, string path, int sendBytes)
    {
        var url = new Uri($"{box.DataplaneUrl}/upload?path={Uri.EscapeDataString(path)}");
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(url.Host, url.Port);
        var head = FilePart("BOUNDARY", "");
        var header = $"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nX-Api-Key: {server.ApiKey}\r\n"
                     + $"Content-Type: multipart/form-data; boundary=BOUNDARY\r\nContent-Length: {256L * 1024 * 1024}\r\n\r\n{head}";
        await socket.SendAsync(Encoding.ASCII.GetBytes(header));
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'n');
        for (var sent = 0; sent < sendBytes; sent += chunk.Length) await socket.SendAsync(chunk);
        return socket;
    }

    private static async Task<string> TempFilesAsync(Box box, string dir) =>
        (await box.RunAsync($"ls -A {dir} | grep -F .sandbox-upload- || true")).Trim();

    [Fact]
    public async Task Interrupted_upload_keeps_the_old_file_and_leaves_no_temp()
    {
        await using var box = await Box.CreateAsync(S, tag: "atomic");
        const string path = "/home/user/data/keep.txt";
        (await box.UploadAsync(path, "previous content\n"u8.ToArray())).Expect(200);
        await box.RunAsync("chmod 0750 /home/user/data/keep.txt");

        var socket = await StartHangingUploadAsync(S, box, path, 8 * 1024 * 1024);
        // While the body streams, the data goes to a temp file beside the target, never into the target.
        var temp = await Poll.UntilAsync(() => TempFilesAsync(box, "/home/user/data"), t => t.Length > 0, TimeSpan.FromSeconds(20), "a temp file during the upload");
        output.WriteLine($"temp during upload: {temp}");
        Assert.StartsWith(".keep.txt.sandbox-upload-", temp);
        Assert.Equal("previous content", (await box.RunAsync($"cat {path}")).Trim());

        // The client goes away mid-body (RST).
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();

        await Poll.UntilAsync(() => TempFilesAsync(box, "/home/user/data"), t => t.Length == 0, TimeSpan.FromSeconds(20), "the temp file removed after the client went away");
        Assert.Equal("previous content", (await box.RunAsync($"cat {path}")).Trim());
        Assert.Equal("750", (await box.RunAsync($"stat -c %a {path}")).Trim());

        // A complete upload replaces the file and keeps its mode.
        (await box.UploadAsync(path, "new content\n"u8.ToArray())).Expect(200);
        Assert.Equal("new content", (await box.RunAsync($"cat {path}")).Trim());
        Assert.Equal("750", (await box.RunAsync($"stat -c %a {path}")).Trim());
        Assert.Equal("", await TempFilesAsync(box, "/home/user/data"));

        // A symlinked target: the file it points to is replaced, the link stays a link.
        await box.RunAsync("ln -s /home/user/data/keep.txt /home/user/link.txt");
        (await box.UploadAsync("/home/user/link.txt", "through the link\n"u8.ToArray())).Expect(200);
        Assert.Equal("through the link", (await box.RunAsync($"cat {path}")).Trim());
        Assert.Equal("link", (await box.RunAsync("test -L /home/user/link.txt && echo link")).Trim());
    }

    [Fact]
    public async Task Upload_interrupted_by_a_server_kill_keeps_the_old_file_and_leaves_no_temp()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var box = await Box.CreateAsync(s, tag: "killed");
        const string path = "/home/user/keep.txt";
        (await box.UploadAsync(path, "before the kill\n"u8.ToArray())).Expect(200);
        using var socket = await StartHangingUploadAsync(s, box, path, 4 * 1024 * 1024);
        await Poll.UntilAsync(() => TempFilesAsync(box, "/home/user"), t => t.Length > 0, TimeSpan.FromSeconds(20), "a temp file during the upload");

        await s.KillAsync();
        // The sandbox outlives the server; its helper sees the server's connection close and removes the temp.
        await s.RestartAsync();
        await Poll.UntilAsync(() => TempFilesAsync(box, "/home/user"), t => t.Length == 0, TimeSpan.FromSeconds(20), "the temp file removed after the server died");
        Assert.Equal("before the kill", (await box.RunAsync($"cat {path}")).Trim());
    }

    [Fact]
    public async Task Upload_that_fills_the_filesystem_is_400_NoSpace_and_keeps_the_old_file()
    {
        var volume = Names.New("full");
        await Vol.CreateAsync(S, volume, "8Mi");
        var template = await Vol.TemplateAsync(S, volume);
        try
        {
            await using var box = await Box.CreateAsync(S, template: template, tag: "full");
            (await box.UploadAsync("/data/f.bin", "small and old\n"u8.ToArray())).Expect(200);
            var r = await box.UploadAsync("/data/f.bin", new byte[16 * 1024 * 1024]);
            Assert.True(r.Code == 400 && r.ErrorType == "NoSpace", $"expected 400 NoSpace, got {r}");
            Assert.Equal("small and old", (await box.RunAsync("cat /data/f.bin")).Trim());
            Assert.Equal("", await TempFilesAsync(box, "/data"));
        }
        finally
        {
            await Vol.CleanupAsync(S, [template], [volume]);
        }
    }
}
