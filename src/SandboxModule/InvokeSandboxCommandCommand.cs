using System.Collections;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Runs a command in a sandbox and returns its result, or streams its output.</para>
/// </summary>
/// <remarks>
/// Pipeline input is the sandbox to run in unless <c>-Sandbox</c> is given on the command line; then it is the command's
/// standard input (each object a line), sent once all input has arrived.
/// </remarks>
[Cmdlet(VerbsLifecycle.Invoke, "SandboxCommand", HelpUri = HelpLinks.Base + "Invoke-SandboxCommand.md")]
[OutputType(typeof(CommandResult))]
[OutputType(typeof(string))]
public sealed class InvokeSandboxCommandCommand : SandboxRunSettingsCmdlet
{
    private readonly List<string> _stdin = [];
    private bool _stdinFromPipeline;

    /// <summary><para type="description">The command line, run as Shell -c Command.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [WireField("command")]
    public string Command { get; set; } = "";

    /// <summary><para type="description">The sandbox: an object from New-Sandbox or Get-Sandbox, or a name. Binds from the pipeline by value or by the property Name or SandboxName.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox? Sandbox { get; set; }

    /// <summary><para type="description">Seconds before the command is killed. Without it a command runs as long as it needs (up to the 24 hours servers accept). On a time-out the output so far is kept on the error (Exception.PartialResult).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    [WireField("timeout")]
    public int? TimeoutSec { get; set; }

    /// <summary><para type="description">The shell that runs the command (default /bin/bash).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("shell")]
    public string? Shell { get; set; }

    /// <summary><para type="description">Text for the command's standard input, one line per item. From the pipeline when -Sandbox is given on the command line.</para></summary>
    [Parameter(ValueFromPipeline = true)]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[]? InputObject { get; set; }

    /// <summary><para type="description">Writes standard output lines to the pipeline as they arrive and standard error lines to the information stream (shown like Write-Host, tagged stderr; $ErrorActionPreference does not apply to them), instead of one result object. A non-zero exit code then writes one SandboxCommandFailed error at the end.</para></summary>
    [Parameter]
    public SwitchParameter Stream { get; set; }

    /// <summary><para type="description">With -Stream: writes the result (exit code, duration) at the end instead of an error for a non-zero exit code.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary><para type="description">Makes a non-zero exit code a non-terminating error (SandboxCommandFailed) instead of data.</para></summary>
    [Parameter]
    public SwitchParameter ErrorOnNonZeroExit { get; set; }

    /// <summary><para type="description">Runs the command as a background job and returns the job at once (a SandboxJob, seen by Get-Job, Receive-Job, Wait-Job and Stop-Job; Stop-Job cancels it as Ctrl+C would). The job uses the connection this command would use and the current directory.</para></summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    private bool SandboxFromPipeline => !IsOnCommandLine(nameof(Sandbox));

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (SandboxFromPipeline)
        {
            if (AsJob)
            {
                StartAsJob();
                return;
            }
            Run(Sandbox!, IsOnCommandLine(nameof(InputObject)) ? JoinLines(InputObject) : null);
            return;
        }
        if (!IsOnCommandLine(nameof(InputObject)) && InputObject is not null)
        {
            _stdinFromPipeline = true;
            _stdin.AddRange(InputObject);
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        if (SandboxFromPipeline) return;
        if (AsJob)
        {
            // The job gets the piped lines as -InputObject, which it joins as it would its own.
            StartAsJob(_stdinFromPipeline ? new Dictionary<string, object?> { [nameof(InputObject)] = _stdin.ToArray() } : null);
            return;
        }
        var stdin = IsOnCommandLine(nameof(InputObject)) ? JoinLines(InputObject) : _stdinFromPipeline ? JoinLines(_stdin) : null;
        Run(Sandbox!, stdin);
    }

    private static string Kept(string text, long? written, bool truncated) =>
        !truncated ? "complete" : $"{System.Text.Encoding.UTF8.GetByteCount(text)} of {(written is { } w ? w.ToString(System.Globalization.CultureInfo.InvariantCulture) : "more")} bytes kept";

    private static string? JoinLines(IEnumerable<string>? lines) =>
        lines is null ? null : string.Concat(lines.Select(l => (l ?? "") + "\n"));

    private void Run(Sandbox.Client.Sandbox given, string? stdin)
    {
        var request = new CommandRequest(Command) { TimeoutSeconds = TimeoutSec ?? NoTimeLimitSeconds, Shell = Shell, Stdin = stdin };
        ApplyRunSettings(request);
        TryItem(given.Name, () =>
        {
            var sandbox = Refresh(given);
            // Buffered without stdin or time-out: POST /execute, whose aborted request (Ctrl+C) makes the server kill the
            // command. Streamed, with stdin, or with a time-out (whose output so far is kept): a session that Ctrl+C kills.
            var result = Stream || request.Stdin is not null || TimeoutSec is not null ? RunSession(sandbox, request) : Await(Client.Commands.RunAsync(sandbox, request, CancellationToken));
            SessionState.PSVariable.Set("global:LASTEXITCODE", result.ExitCode);
            if (result.StdoutTruncated || result.StderrTruncated)
                WriteWarning($"The server cut the output of '{Command}' in sandbox '{sandbox.Name}' at its limit (standard output: {Kept(result.Stdout, result.StdoutBytes, result.StdoutTruncated)}; standard error: {Kept(result.Stderr, result.StderrBytes, result.StderrTruncated)}). Use -Stream for all of it.");
            var failed = !result.Succeeded && (Stream ? !PassThru.IsPresent : ErrorOnNonZeroExit.IsPresent);
            if ((!Stream || PassThru) && !failed) WriteObject(result);
            if (failed) WriteError(ErrorFor(new SandboxCommandFailedException(result), given.Name));
        });
    }

    /// <summary>
    /// Runs the command as a session (WebSocket, or <c>POST /execute</c> where the server offers none). With <c>-Stream</c> each
    /// line is written from the pipeline thread as it arrives, else the output is collected. Standard input is closed after the
    /// text given, or at once without text, so that a command reading it does not hang: the SDK sends the input with
    /// <c>eof</c> (servers of the seed generation) and then <c>close_stdin</c> (the current generation), which every server
    /// understands one way or the other (the execute frame's <c>close_stdin</c> flag alone would leave older servers' stdin open). Ctrl+C sends a kill over the live
    /// connection and reads on until the command ends (at most <see cref="KillGrace"/>), so the command really stops.
    /// </summary>
    private CommandResult RunSession(Sandbox.Client.Sandbox sandbox, CommandRequest request)
    {
        request.Stdin ??= "";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var session = Await(Client.Commands.StartAsync(sandbox, request, CancellationToken));
        using var reading = new CancellationTokenSource();
        using var onStop = CancellationToken.Register(() =>
        {
            _ = session.KillAsync(CancellationToken.None);
            try
            {
                reading.CancelAfter(KillGrace);
            }
            catch (ObjectDisposedException)
            {
            }
        });
        try
        {
            if (!Stream) return Await(session.CollectAsync(reading.Token));
            var lines = session.ReadLinesAsync(reading.Token).GetAsyncEnumerator(reading.Token);
            try
            {
                while (Await(lines.MoveNextAsync().AsTask()))
                {
                    var line = lines.Current;
                    if (line.Stream == CommandStream.Stdout)
                        WriteObject(line.Text);
                    else
                        WriteStderrLine(line.Text);
                }
            }
            finally
            {
                lines.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return new CommandResult
            {
                Sandbox = sandbox.Name,
                Command = request.Command,
                ExitCode = session.ExitCode ?? -1,
                Duration = watch.Elapsed,
            };
        }
        finally
        {
            // Kills the command if it still runs, with its own short time-out.
            session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    /// <summary>The time-out sent when none is asked for: the longest both protocols accept, so a long job is never cut short by a default.</summary>
    internal const int NoTimeLimitSeconds = 86400;

    private static readonly string[] StderrTags = ["PSHOST", "stderr"];

    /// <summary>
    /// A standard error line under -Stream: to the information stream as Write-Host writes (shown, capturable with 6>&amp;1 or
    /// -InformationVariable, tagged stderr), never an error record: pip, git and curl write progress there, and an error
    /// record would stop the pipeline (and kill the command) under $ErrorActionPreference = 'Stop'.
    /// </summary>
    private void WriteStderrLine(string text) =>
        WriteInformation(new HostInformationMessage { Message = text, NoNewLine = false }, StderrTags);
}
