using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>
/// Closing a command's stdin as the current generation does (<c>close_stdin</c>), against a scripted WebSocket server
/// that, like a hosted endpoint, knows no <c>eof</c> on input frames: it answers the exit only once stdin is closed.
/// </summary>
public sealed class CloseStdinTests
{
    /// <summary>Serves one command socket: records the frames, and ends the command when close_stdin arrives (or the execute frame carries it).</summary>
    private static (Task Server, int Port, List<JsonElement> Frames) Serve(TcpListener listener)
    {
        var frames = new List<JsonElement>();
        var server = Task.Run(async () =>
        {
            using var tcp = await listener.AcceptTcpClientAsync();
            using var ws = await ScriptedWebSocket.AcceptAsync(tcp.GetStream());
            async Task Send(string json) => await ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[65536];
            var input = new StringBuilder();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, limit.Token);
                var frame = JsonDocument.Parse(buffer.AsMemory(0, r.Count)).RootElement.Clone();
                lock (frames) frames.Add(frame);
                var type = frame.GetProperty("type").GetString();
                if (type == "execute") await Send("""{"type":"started","command_id":"c1","pid":7}""");
                if (type == "input") input.Append(frame.GetProperty("data").GetString());
                var closedAtStart = type == "execute" && frame.TryGetProperty("close_stdin", out var c) && c.GetBoolean();
                if (type == "close_stdin" || closedAtStart)
                {
                    await Send(JsonSerializer.Serialize(new { type = "stdout", data = "read:" + input, offset = 0 }));
                    await Send("""{"type":"exit","exit_code":0}""");
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
            }
        });
        return (server, ((IPEndPoint)listener.LocalEndpoint).Port, frames);
    }

    /// <summary>Starts <paramref name="request"/> against a scripted server; <paramref name="drive"/> acts on the session, then the output is collected.</summary>
    private static async Task<(CommandResult Result, List<JsonElement> Frames, SandboxCommandSession Session)> RunAsync(CommandRequest request, Func<SandboxCommandSession, Task>? drive = null)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var (server, port, frames) = Serve(listener);
        using var client = new SandboxClient(new SandboxConnectionSettings($"http://127.0.0.1:{port}", "k"));
        request.CommandId = "c1";
        var session = await client.Commands.StartAsync(new Sandbox { Name = "fake", DataplaneUrl = $"http://127.0.0.1:{port}/dp" }, request);
        await using (session)
        {
            if (drive is not null) await drive(session);
            var result = await session.CollectAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await server.WaitAsync(TimeSpan.FromSeconds(10));
            return (result, frames, session);
        }
    }

    [Fact]
    public async Task Stdin_given_with_the_command_is_followed_by_close_stdin()
    {
        var (result, frames, _) = await RunAsync(new CommandRequest("cat") { Stdin = "hi\n" });
        Assert.Equal("read:hi\n", result.Stdout);
        Assert.Equal(["execute", "input", "close_stdin"], frames.Select(f => f.GetProperty("type").GetString()));
        Assert.False(frames[0].TryGetProperty("close_stdin", out _));
        // The seed generation's local servers close on eof; the current generation's on close_stdin (a no-op after eof).
        Assert.True(frames[1].GetProperty("eof").GetBoolean());
    }

    [Fact]
    public async Task CloseInputAsync_after_written_input_sends_close_stdin()
    {
        var (result, frames, session) = await RunAsync(new CommandRequest("cat"), async s =>
        {
            await s.WriteInputAsync("a");
            await s.WriteInputAsync("b");
            await s.CloseInputAsync();
        });
        Assert.Equal("read:ab", result.Stdout);
        Assert.Equal("close_stdin", frames[^1].GetProperty("type").GetString());
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.WriteInputAsync("late"));
    }

    [Fact]
    public async Task CloseStdin_on_the_request_closes_it_in_the_execute_frame()
    {
        var (result, frames, _) = await RunAsync(new CommandRequest("cat") { CloseStdin = true });
        Assert.Equal("read:", result.Stdout);
        Assert.Single(frames);
        Assert.True(frames[0].GetProperty("close_stdin").GetBoolean());
    }
}
