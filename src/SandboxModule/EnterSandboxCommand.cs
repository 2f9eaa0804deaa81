using System.Text;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Starts an interactive shell in a sandbox on a pseudo-terminal, like docker exec -it; exit returns to PowerShell.</para>
/// </summary>
/// <remarks>
/// The command runs on a terminal allocated inside the sandbox (the exec WebSocket's <c>pty</c> mode; on leap0 a terminal
/// session running the sandbox's shell). While it runs the local console is in raw mode: every key, Ctrl+C included, goes
/// to the sandbox as typed, and window size changes follow. The console is restored when the shell ends, and
/// <c>$LASTEXITCODE</c> is its exit code where the protocol reports one (leap0's sessions do not).
/// </remarks>
[Cmdlet(VerbsCommon.Enter, "Sandbox", HelpUri = HelpLinks.Base + "Enter-Sandbox.md")]
[OutputType(typeof(void))]
public sealed class EnterSandboxCommand : SandboxRunSettingsCmdlet
{
    private static readonly TimeSpan ResizePollInterval = TimeSpan.FromMilliseconds(200);
    private const int KeyPollMilliseconds = 100;

    /// <summary><para type="description">The sandbox: an object from New-Sandbox or Get-Sandbox, or a name. Binds from the pipeline by value or by the property Name or SandboxName.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox? Sandbox { get; set; }

    /// <summary><para type="description">The command to run on the terminal instead of a login shell (bash where the sandbox has it, else sh), run as Shell -c Command.</para></summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [WireField("command")]
    public string? Command { get; set; }

    /// <summary><para type="description">The shell that runs -Command (default /bin/bash). Without -Command the login shell is chosen by /bin/sh.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("shell")]
    public string? Shell { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        // Checked first: without a terminal there are no keys to forward and no screen to draw on.
        if (!TerminalInput.Available)
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException("Enter-Sandbox needs an interactive terminal: PowerShell's input and output must not be redirected. Use Invoke-SandboxCommand to run commands from scripts."),
                "TerminalRequired", ErrorCategory.InvalidOperation, Sandbox!.Name));
        var request = new CommandRequest(Command ?? SandboxDefaults.LoginShellCommand)
        {
            Shell = Command is null ? "/bin/sh" : Shell,
            TimeoutSeconds = InvokeSandboxCommandCommand.NoTimeLimitSeconds,
            Terminal = TerminalInput.CurrentSize(),
        };
        ApplyRunSettings(request);
        TryItem(Sandbox!.Name, () => Enter(Refresh(Sandbox!), request));
    }

    private void Enter(Sandbox.Client.Sandbox sandbox, CommandRequest request)
    {
        var session = Await(Client.Commands.OpenTerminalAsync(sandbox, request, CancellationToken));
        WriteVerbose($"Entered sandbox '{sandbox.Name}' ({session.Description}); the shell's exit returns here.");
        try
        {
            // Raw mode from here to the end of the shell: nothing may be written through the host meanwhile.
            using (var keyboard = TerminalInput.Open())
            {
                Relay(session, keyboard, request.Terminal!);
            }
            if (session.ExitCode is { } exitCode) SessionState.PSVariable.Set("global:LASTEXITCODE", exitCode);
        }
        finally
        {
            // Kills the shell if it still runs (a broken connection), with its own short time-out.
            session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Copies the terminal's output to the console and typed keys to the terminal, and follows the window's size, until
    /// the shell ends (or the connection fails, which is rethrown after the console is restored).
    /// </summary>
    private static void Relay(SandboxTerminal session, TerminalInput keyboard, TerminalSize size)
    {
        using var done = new CancellationTokenSource();
        using var screen = Console.OpenStandardOutput();
        var output = Task.Run(async () =>
        {
            await foreach (var chunk in session.ReadAsync(done.Token).ConfigureAwait(false))
            {
                await screen.WriteAsync(chunk, done.Token).ConfigureAwait(false);
                await screen.FlushAsync(done.Token).ConfigureAwait(false);
            }
        });
        var typing = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var typed = keyboard.Read(KeyPollMilliseconds);
                if (typed.Length > 0) await session.WriteAsync(typed, done.Token).ConfigureAwait(false);
            }
        });
        try
        {
            // Until the shell ends, or the input pump fails (the connection broke), which ends the session too.
            while (!output.IsCompleted && !typing.IsFaulted)
            {
                Task.WaitAny([output, typing], ResizePollInterval);
                var now = TerminalInput.CurrentSize();
                if (now == size) continue;
                size = now;
                _ = session.ResizeAsync(size, done.Token).ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }
        }
        finally
        {
            done.Cancel();
            // The key reader stops within one poll, so no key typed after the shell's end is taken from PowerShell.
            try
            {
                typing.Wait(TimeSpan.FromSeconds(2));
            }
            catch (AggregateException)
            {
            }
        }
        if (output.IsCompletedSuccessfully) return;
        if (typing.Exception?.InnerException is { } typingError && !output.IsCompleted) throw typingError;
        output.GetAwaiter().GetResult();
    }
}
