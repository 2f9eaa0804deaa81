using System.Net.WebSockets;
using System.Text;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's terminal sessions: a shell on a pseudo-terminal inside the sandbox, over a WebSocket of raw bytes.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0PtyTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private async Task<ClientWebSocket> ConnectAsync(string id, string sid)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("authorization", $"Bearer {S.ApiKey}");
        var uri = new Uri(S.BaseUrl, $"v1/sandbox/{id}/pty/{sid}/connect");
        await ws.ConnectAsync(new UriBuilder(uri) { Scheme = "ws" }.Uri, CancellationToken.None);
        return ws;
    }

    private static Task SendAsync(ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>Reads frames until the screen so far contains <paramref name="expected"/>; the text read.</summary>
    private static async Task<string> ReadUntilAsync(ClientWebSocket ws, StringBuilder screen, string expected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[16 << 10];
        while (!screen.ToString().Contains(expected))
        {
            var frame = await ws.ReceiveAsync(buffer, timeout.Token);
            if (frame.MessageType == WebSocketMessageType.Close) throw new Xunit.Sdk.XunitException($"closed before '{expected}': {screen}");
            Assert.Equal(WebSocketMessageType.Binary, frame.MessageType);
            screen.Append(Encoding.UTF8.GetString(buffer, 0, frame.Count));
        }
        return screen.ToString();
    }

    [Fact]
    public async Task Types_a_command_reads_its_output_interrupts_a_sleep_resizes_and_exits()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0pty");
        var created = (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { id = "term1", cwd = "/tmp", envs = new { GREETING = "hello" }, cols = 100, rows = 40 })).Expect(201).Json;
        Assert.Equal("term1", created.Str("id"));
        Assert.Equal("/tmp", created.Str("cwd"));
        Assert.True(created.GetProperty("active").GetBoolean());
        Assert.Equal(100, created.GetProperty("cols").GetInt32());
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { id = "term1" })).ExpectLeap0Error(409);

        using var ws = await ConnectAsync(box.Id, "term1");
        var screen = new StringBuilder();
        await SendAsync(ws, "echo \"$GREETING-$((40+2))-$(pwd)\"; tty\n");
        await ReadUntilAsync(ws, screen, "hello-42-/tmp");
        await ReadUntilAsync(ws, screen, "/dev/pts/");
        await SendAsync(ws, "stty size\n");
        await ReadUntilAsync(ws, screen, "40 100");
        var resized = (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty/term1/resize", new { cols = 120, rows = 30 })).Expect(200).Json;
        Assert.Equal(120, resized.GetProperty("cols").GetInt32());
        await SendAsync(ws, "stty size\n");
        await ReadUntilAsync(ws, screen, "30 120");

        // Ctrl+C reaches the foreground sleep through the terminal: the shell prompt is back long before 30 s.
        var started = DateTime.UtcNow;
        await SendAsync(ws, "sleep 30; echo not-interrupted\n");
        await Task.Delay(500);
        await ws.SendAsync(new byte[] { 0x03 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        await SendAsync(ws, "echo after-$((6*7))\n");
        var text = await ReadUntilAsync(ws, screen, "after-42");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("\nnot-interrupted", text); // the typed line is echoed; its echo never ran
        Assert.Contains("^C", text);

        // The session outlives the socket: a new connection gets what was printed meanwhile.
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        using (var again = await ConnectAsync(box.Id, "term1"))
        {
            var second = new StringBuilder();
            await SendAsync(again, "echo still-$((1+1))\n");
            await ReadUntilAsync(again, second, "still-2");
            Assert.Single((await http.L0GetAsync($"v1/sandbox/{box.Id}/pty")).Expect(200).Json.GetProperty("items").EnumerateArray());
            await SendAsync(again, "exit\n");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var buffer = new byte[4096];
            while ((await again.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close) { }
        }
        await Poll.UntilAsync(() => http.L0GetAsync($"v1/sandbox/{box.Id}/pty/term1"), r => !r.Json.GetProperty("active").GetBoolean(), TimeSpan.FromSeconds(10), "inactive");
        (await http.L0DeleteAsync($"v1/sandbox/{box.Id}/pty/term1")).Expect(204);
        (await http.L0GetAsync($"v1/sandbox/{box.Id}/pty/term1")).ExpectLeap0Error(404);
    }

    [Fact]
    public async Task Lazy_sessions_start_on_connect_and_bad_input_is_refused()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0ptylazy");
        var lazy = (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { lazy_start = true })).Expect(201).Json;
        Assert.False(lazy.GetProperty("active").GetBoolean());
        Assert.Equal("/home/user", lazy.Str("cwd"));
        var sid = lazy.Str("id");
        using (var ws = await ConnectAsync(box.Id, sid))
        {
            var screen = new StringBuilder();
            await SendAsync(ws, "echo lazy-$((2+3))\n");
            await ReadUntilAsync(ws, screen, "lazy-5");
            Assert.True((await http.L0GetAsync($"v1/sandbox/{box.Id}/pty/{sid}")).Expect(200).Json.GetProperty("active").GetBoolean());
        }
        (await http.L0DeleteAsync($"v1/sandbox/{box.Id}/pty/{sid}")).Expect(204);

        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { cols = 0 })).ExpectLeap0Field("cols");
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { rows = "x" })).ExpectLeap0Field("rows");
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { id = "a/b" })).ExpectLeap0Field("id");
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { envs = new { A = 1 } })).ExpectLeap0Field("envs");
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { cwd = "/no/such" })).ExpectLeap0Error(400);
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty/none/resize", new { cols = 1, rows = 1 })).ExpectLeap0Error(404);
        (await http.L0GetAsync($"v1/sandbox/{box.Id}/pty/none/connect")).ExpectLeap0Error(404);
        (await http.L0GetAsync("v1/sandbox/no-such-id/pty")).ExpectLeap0Error(404);
        var any = (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty", new { })).Expect(201).Json.Str("id");
        (await http.L0PostAsync($"v1/sandbox/{box.Id}/pty/{any}/resize", new { cols = 0, rows = 10 })).ExpectLeap0Field("cols");
        (await http.L0GetAsync($"v1/sandbox/{box.Id}/pty/{any}/connect")).ExpectLeap0Error(400);
        (await http.L0DeleteAsync($"v1/sandbox/{box.Id}/pty/{any}")).Expect(204);
    }
}
