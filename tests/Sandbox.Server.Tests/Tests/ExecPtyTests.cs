using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// The exec WebSocket's <c>pty: true</c>: the command on a pseudo-terminal of the sandbox's own /dev/pts (the helper's
/// pty verb, as leap0's terminal sessions), input typed into it, our <c>resize</c> frame, Ctrl+C as a byte.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ExecPtyTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    /// <summary>Frames until the terminal's output so far contains <paramref name="expected"/>; the output.</summary>
    private static async Task<string> ReadUntilAsync(WsExec ws, StringBuilder screen, List<JsonElement> frames, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!screen.ToString().Contains(expected))
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"no '{expected}' within 20 s: {WsExec.Describe(frames)}");
            var frame = await ws.ReceiveAsync(deadline - DateTime.UtcNow) ?? throw new Xunit.Sdk.XunitException($"closed before '{expected}': {WsExec.Describe(frames)}");
            frames.Add(frame);
            Assert.NotEqual("stderr", frame.Str("type")); // a terminal has one output
            Assert.NotEqual("error", frame.Str("type"));
            if (frame.Str("type") == "stdout") screen.Append(frame.Str("data"));
        }
        return screen.ToString();
    }

    private static JsonObject Input(string data) => new() { ["type"] = "input", ["data"] = data };

    [Fact]
    public async Task A_pty_command_reads_typed_input_sees_resizes_shares_the_sandboxs_namespaces_and_dies_of_ctrl_c()
    {
        await using var box = await Box.CreateAsync(S, tag: "execpty");
        const string namespaces = "readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/user /proc/self/ns/net";
        // What a plain command of this sandbox sees: the pty must live in the very same namespaces.
        string expected;
        await using (var plain = await WsExec.ConnectAsync(S, box.DataplaneUrl))
        {
            await plain.SendAsync(WsExec.Execute(namespaces, 20));
            expected = WsExec.Stream(await plain.ReceiveUntilEndAsync(TimeSpan.FromSeconds(20)), "stdout").Trim();
        }

        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute($"tty; stty size; read line; stty size; echo \"got-$line-$TERM\"; {namespaces}; echo ns-done; sleep 30; echo not-interrupted", 0,
            new JsonObject { ["pty"] = true, ["cols"] = 100, ["rows"] = 40, ["close_stdin"] = true }));
        var started = await ws.ReceiveAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("started", started!.Value.Str("type"));
        var frames = new List<JsonElement> { started.Value };
        var screen = new StringBuilder();
        await ReadUntilAsync(ws, screen, frames, "40 100");
        Assert.Contains("/dev/pts/", screen.ToString());

        await ws.SendAsync(new JsonObject { ["type"] = "resize", ["cols"] = 120, ["rows"] = 30 });
        await ws.SendAsync(Input("hello\r")); // close_stdin does not close a terminal: typing still reaches it
        await ReadUntilAsync(ws, screen, frames, "got-hello-xterm-256color");
        Assert.Contains("30 120", screen.ToString());
        var text = await ReadUntilAsync(ws, screen, frames, "ns-done");
        var seen = text[(text.IndexOf("got-hello", StringComparison.Ordinal))..text.IndexOf("ns-done", StringComparison.Ordinal)];
        Assert.Equal(expected.Split('\n').Select(l => l.Trim()), seen.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0));

        // Ctrl+C is a byte typed into the terminal: its line discipline sends SIGINT to the foreground group.
        var before = DateTime.UtcNow;
        await Task.Delay(300);
        await ws.SendAsync(Input("\u0003"));
        var rest = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(15));
        Assert.True(DateTime.UtcNow - before < TimeSpan.FromSeconds(10), "Ctrl+C did not end the sleep");
        var exit = rest[^1];
        Assert.Equal("exit", exit.Str("type"));
        Assert.Equal(130, exit.GetProperty("exit_code").GetInt32());
        Assert.DoesNotContain("not-interrupted", WsExec.Stream(frames.Concat(rest), "stdout"));
    }

    [Fact]
    public async Task Terminal_sizes_are_checked_and_need_pty()
    {
        await using var box = await Box.CreateAsync(S, tag: "execptybad");
        foreach (var (extra, field) in new[]
                 {
                     (new JsonObject { ["cols"] = 80 }, "cols"),
                     (new JsonObject { ["pty"] = true, ["rows"] = 0 }, "rows"),
                     (new JsonObject { ["pty"] = true, ["cols"] = 1001 }, "cols"),
                     (new JsonObject { ["pty"] = true, ["cols"] = "wide" }, "cols"),
                 })
        {
            await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
            await ws.SendAsync(WsExec.Execute("true", 5, extra));
            var frames = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(10));
            var error = frames[^1];
            Assert.Equal("error", error.Str("type"));
            Assert.Equal("ValidationError", error.Str("error_type"));
            Assert.Contains(field, error.Str("error"));
        }
    }
}
