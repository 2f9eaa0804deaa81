using System.Text;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>
/// <see cref="CommandsClient.OpenTerminalAsync"/> over both kinds of terminal against the real local server: leap0's
/// terminal sessions (<c>/v1/sandbox/{id}/pty</c>) and the exec WebSocket's <c>pty</c> mode.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class TerminalSessionTests(ServerFixture fx)
{
    private SandboxClient Leap0() =>
        new(new SandboxConnectionSettings(fx.Server.Endpoint, fx.Server.ApiKey), new SandboxClientOptions { Provider = SandboxProvider.Leap0 });

    /// <summary>Reads the terminal until <paramref name="expected"/> shows (or fails when the output ends first).</summary>
    private sealed class Screen(SandboxTerminal terminal, CancellationToken ct)
    {
        private readonly IAsyncEnumerator<ReadOnlyMemory<byte>> _output = terminal.ReadAsync(ct).GetAsyncEnumerator(ct);
        private readonly StringBuilder _text = new();

        public string Text => _text.ToString();

        public async Task UntilAsync(string expected)
        {
            while (!Text.Contains(expected, StringComparison.Ordinal))
            {
                Assert.True(await _output.MoveNextAsync(), $"the terminal's output ended before '{expected}': {Text}");
                _text.Append(Encoding.UTF8.GetString(_output.Current.Span));
            }
        }

        public async Task ToEndAsync()
        {
            while (await _output.MoveNextAsync()) _text.Append(Encoding.UTF8.GetString(_output.Current.Span));
        }
    }

    [Fact]
    public async Task A_leap0_terminal_session_takes_keys_resizes_passes_ctrl_c_and_is_deleted_when_disposed()
    {
        using var client = Leap0();
        var sandbox = (await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TtlSeconds = 600 })).Sandbox;
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var terminal = await client.Commands.OpenTerminalAsync(sandbox, new CommandRequest(SandboxDefaults.LoginShellCommand)
            {
                Terminal = new TerminalSize(91, 31),
                WorkingDirectory = "/tmp",
                Environment = new Dictionary<string, string> { ["GREETING"] = "hello" },
            }, stop.Token);
            await using (terminal)
            {
                Assert.StartsWith("terminal session ", terminal.Description);
                var screen = new Screen(terminal, stop.Token);
                await terminal.WriteAsync("stty size; pwd; echo \"$GREETING-$((6*7))\"\r", stop.Token);
                await screen.UntilAsync("hello-42");
                Assert.Contains("31 91", screen.Text);
                Assert.Contains("/tmp", screen.Text);

                await terminal.ResizeAsync(new TerminalSize(120, 40), stop.Token);
                await terminal.WriteAsync("stty size\r", stop.Token);
                await screen.UntilAsync("40 120");

                await terminal.WriteAsync("sleep 60; echo slept-$((1+1))\r", stop.Token);
                await Task.Delay(500, stop.Token);
                await terminal.WriteAsync("\u0003", stop.Token);
                await terminal.WriteAsync("echo after-$((5*5))\r", stop.Token);
                await screen.UntilAsync("after-25");
                Assert.DoesNotContain("slept-2", screen.Text);

                // The shell's end closes the socket: the output ends, with no exit code on this protocol.
                await terminal.WriteAsync("exit\r", stop.Token);
                await screen.ToEndAsync();
                Assert.Null(terminal.ExitCode);
            }
            // Disposed: the session is gone from the sandbox's list.
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Add("Authorization", "Bearer " + fx.Server.ApiKey);
            var list = await http.GetStringAsync($"{fx.Server.Endpoint}/v1/sandbox/{sandbox.Id}/pty");
            Assert.Contains("\"items\":[]", list.Replace(" ", ""));
        }
        finally
        {
            await client.Sandboxes.DeleteAsync(sandbox.Id);
        }
    }

    [Fact]
    public async Task A_leap0_terminal_refuses_a_command_or_a_user_before_anything_is_sent_naming_the_protocol()
    {
        using var client = Leap0();
        var sandbox = new Sandbox { Id = "not-created", Name = "not-created" };
        var command = await Assert.ThrowsAsync<SandboxNotSupportedException>(() => client.Commands.OpenTerminalAsync(sandbox, new CommandRequest("top")));
        Assert.Contains("leap0", command.Message);
        var user = await Assert.ThrowsAsync<SandboxNotSupportedException>(() => client.Commands.OpenTerminalAsync(sandbox,
            new CommandRequest(SandboxDefaults.LoginShellCommand) { RunConfig = new SandboxRunConfig { User = "user" } }));
        Assert.Contains("not supported by this endpoint (leap0)", user.Message);
    }

    [Fact]
    public async Task On_langsmith_the_terminal_is_the_command_on_the_exec_socket_and_reports_its_exit_code()
    {
        var sandbox = (await fx.Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("term") })).Sandbox;
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using var terminal = await fx.Client.Commands.OpenTerminalAsync(sandbox, new CommandRequest("exec /bin/sh -i") { TimeoutSeconds = 0 }, stop.Token);
            Assert.StartsWith("pid ", terminal.Description);
            var screen = new Screen(terminal, stop.Token);
            await terminal.WriteAsync("stty size; echo t-$((2*21))\r", stop.Token);
            await screen.UntilAsync("t-42");
            Assert.Contains("24 80", screen.Text); // the default size
            await terminal.WriteAsync("exit 7\r", stop.Token);
            await screen.ToEndAsync();
            Assert.Equal(7, terminal.ExitCode);
        }
        finally
        {
            await fx.Client.Sandboxes.DeleteAsync(sandbox.Name);
        }
    }
}
