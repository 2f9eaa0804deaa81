using System.Text;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>Commands on a pseudo-terminal (<see cref="CommandRequest.Terminal"/>) against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class TerminalTests(ServerFixture fx) : IAsyncLifetime
{
    private Sandbox _box = null!;

    public async Task InitializeAsync() =>
        _box = (await fx.Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("tty") })).Sandbox;

    public async Task DisposeAsync()
    {
        try
        {
            await fx.Client.Sandboxes.DeleteAsync(_box.Name);
        }
        catch (SandboxNotFoundException)
        {
        }
    }

    [Fact]
    public async Task A_shell_on_a_terminal_takes_typed_lines_resizes_passes_ctrl_c_and_reports_its_exit()
    {
        await using var session = await fx.Client.Commands.StartAsync(_box, new CommandRequest("exec /bin/bash --norc -i")
        {
            Terminal = new TerminalSize(90, 33),
            TimeoutSeconds = 0,
        });
        Assert.NotNull(session.ProcessId);
        var screen = new StringBuilder();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = session.ReadOutputAsync(stop.Token).GetAsyncEnumerator(stop.Token);

        async Task Until(string expected)
        {
            while (!screen.ToString().Contains(expected, StringComparison.Ordinal))
            {
                Assert.True(await output.MoveNextAsync(), $"the output ended before '{expected}': {screen}");
                Assert.Equal(CommandStream.Stdout, output.Current.Stream); // a terminal has one output
                screen.Append(output.Current.Data);
            }
        }

        await session.WriteInputAsync("stty size; echo \"tty-$((6*7))\"\r");
        await Until("tty-42");
        Assert.Contains("33 90", screen.ToString());

        await session.ResizeAsync(new TerminalSize(132, 50));
        await session.WriteInputAsync("stty size\r");
        await Until("50 132");

        // Ctrl+C ends the foreground sleep, not the shell: the shell answers the next line long before 60 s.
        await session.WriteInputAsync("sleep 60; echo slept-$((1+1))\r");
        await Task.Delay(500);
        var before = DateTime.UtcNow;
        await session.WriteInputAsync("\u0003");
        await session.WriteInputAsync("echo after-$((5*5))\r");
        await Until("after-25");
        Assert.True(DateTime.UtcNow - before < TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("slept-2", screen.ToString());

        await session.WriteInputAsync("exit 5\r");
        while (await output.MoveNextAsync()) screen.Append(output.Current.Data);
        Assert.Equal(5, session.ExitCode);
    }

    [Fact]
    public async Task Terminal_requests_are_checked_before_anything_is_sent()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TerminalSize(0, 24));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TerminalSize(80, 1001));
        var withStdin = await Assert.ThrowsAsync<ArgumentException>(() => fx.Client.Commands.StartAsync(_box, new CommandRequest("cat") { Terminal = new TerminalSize(80, 24), Stdin = "x" }));
        Assert.Contains("Terminal", withStdin.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => fx.Client.Commands.RunAsync(_box, new CommandRequest("true") { Terminal = new TerminalSize(80, 24) }));
        await using var plain = await fx.Client.Commands.StartAsync(_box, new CommandRequest("true"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => plain.ResizeAsync(new TerminalSize(80, 24)));
    }
}
