using System.Collections.Concurrent;
using System.Collections;

namespace SandboxModule;

/// <summary>
/// The plumbing every cmdlet of the module shares: one <see cref="CancellationTokenSource"/> cancelled by Ctrl+C
/// (<see cref="StopProcessing"/>), synchronous waits that unwrap errors, progress and output pumped to the pipeline
/// thread, the mapping of client exceptions to error records, and connection resolution.
/// </summary>
public abstract class SandboxCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private HashSet<string> _commandLine = new(StringComparer.OrdinalIgnoreCase);
    private SandboxConnection? _resolved;

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken CancellationToken => _cts.Token;

    /// <summary>The connection the cmdlet uses when it needs one; null resolves through <see cref="ResolveConnection"/>.</summary>
    protected virtual SandboxConnection? ConnectionParameter => null;

    /// <summary>The folder of <c>SandboxModule.dll</c> (where <c>server/</c> is).</summary>
    protected static string? ModuleDirectory => Path.GetDirectoryName(typeof(SandboxCmdlet).Assembly.Location);

    /// <summary>Records which parameters came from the command line, then calls <see cref="Begin"/>.</summary>
    protected sealed override void BeginProcessing()
    {
        _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        Begin();
    }

    /// <summary>What a cmdlet does before the first pipeline object.</summary>
    protected virtual void Begin()
    {
    }

    /// <summary>True when <paramref name="parameterName"/> was given on the command line (not bound from the pipeline).</summary>
    protected bool IsOnCommandLine(string parameterName) => _commandLine.Contains(parameterName);

    /// <summary>Ctrl+C: cancels every call in flight.</summary>
    protected override void StopProcessing()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Releases the cancellation source and this cmdlet's HTTP trace.</summary>
    public void Dispose()
    {
        if (_httpTraceSink is not null && ReferenceEquals(SandboxHttpTrace.Sink, _httpTraceSink)) SandboxHttpTrace.Sink = null;
        _cts.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---------------------------------------------------------------- waiting

    /// <summary>Waits for <paramref name="task"/> (errors unwrapped); Ctrl+C becomes <see cref="PipelineStoppedException"/>.</summary>
    protected T Await<T>(Task<T> task)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            WriteHttpTrace();
        }
    }

    /// <summary>Waits for <paramref name="task"/>; Ctrl+C becomes <see cref="PipelineStoppedException"/>.</summary>
    protected void Await(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            WriteHttpTrace();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> and handles each message it reports on the pipeline thread (where <c>WriteProgress</c>,
    /// <c>WriteVerbose</c> and <c>WriteObject</c> are allowed) until it ends.
    /// </summary>
    protected T Pump<T, TMessage>(Func<IProgress<TMessage>, CancellationToken, Task<T>> work, Action<TMessage> onMessage)
    {
        using var pump = new PipelinePump<TMessage>();
        try
        {
            return pump.Run(work(pump.AsProgress(), CancellationToken), message =>
            {
                WriteHttpTrace();
                onMessage(message);
            });
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            WriteHttpTrace();
        }
    }

    // ---------------------------------------------------------------- jobs (-AsJob)

    /// <summary>Parameters that name variables or buffers of this pipeline and mean nothing in the job's.</summary>
    private static readonly string[] PipelineOnlyParameters = ["AsJob", "OutVariable", "OutBuffer", "PipelineVariable", "ErrorVariable", "WarningVariable", "InformationVariable"];

    /// <summary>True when the cmdlet was called with <c>-AsJob</c>.</summary>
    protected bool AsJobRequested => MyInvocation.BoundParameters.TryGetValue("AsJob", out var v) && v is SwitchParameter { IsPresent: true };

    /// <summary>
    /// <c>-AsJob</c> for every cmdlet that has it: this cmdlet again, with the parameters bound now (pipeline ones too) and
    /// <paramref name="overrides"/>, less -AsJob, plus the connection resolved here (a job's runspace has no default of its
    /// own), as a <see cref="SandboxJob"/> in the job repository; the job is written to the pipeline.
    /// </summary>
    protected void StartAsJob(IDictionary<string, object?>? overrides = null)
    {
        var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in MyInvocation.BoundParameters)
            if (!PipelineOnlyParameters.Contains(name, StringComparer.OrdinalIgnoreCase)) parameters[name] = value;
        // An override of null leaves the parameter out of the job.
        foreach (var (name, value) in overrides ?? new Dictionary<string, object?>())
            if (value is null) parameters.Remove(name);
            else parameters[name] = value;
        if (this is SandboxConnectedCmdlet && !parameters.ContainsKey("Connection")) parameters["Connection"] = ResolveConnection();
        var job = SandboxJob.Create(MyInvocation.Line.Trim() is { Length: > 0 } line ? line : MyInvocation.MyCommand.Name, MyInvocation.MyCommand.Name, GetType(), parameters,
            SessionState.Path.CurrentFileSystemLocation?.ProviderPath);
        JobRepository.Add(job);
        job.StartJob();
        WriteObject(job);
    }

    // ---------------------------------------------------------------- errors

    /// <summary>
    /// Runs one item's work; a failure of that item becomes a non-terminating error (so <c>-ErrorAction</c> applies) with
    /// the exception's stable id and category, <paramref name="target"/> as the target object and the server's body in
    /// <c>ErrorDetails</c>. Ctrl+C still stops the pipeline.
    /// </summary>
    /// <returns>True when the work succeeded.</returns>
    protected bool TryItem(object? target, Action work)
    {
        try
        {
            work();
            return true;
        }
        catch (Exception e) when (IsItemFailure(e))
        {
            WriteError(ErrorFor(e, target));
            return false;
        }
    }

    /// <summary>True for failures of one item (service errors, bad values, local file errors), false for engine and programming errors.</summary>
    protected static bool IsItemFailure(Exception e) =>
        e is SandboxApiException or ArgumentException or FormatException or IOException or UnauthorizedAccessException or NotSupportedException
        || e is ItemNotFoundException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException;

    /// <summary>A terminating error for a bad invocation or a failure that leaves nothing to do.</summary>
    protected void Fail(Exception e, object? target) => ThrowTerminatingError(ErrorFor(e, target));

    /// <summary>A terminating <c>InvalidArgument</c> error with id <paramref name="errorId"/>.</summary>
    protected void FailArgument(string message, string errorId, object? target) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

    /// <summary>
    /// The error record for <paramref name="e"/>: stable id, fitting category, the given target, and as details one
    /// sentence in the user's terms (<see cref="ErrorSentences"/>: a bad field is named by this cmdlet's parameter, and the
    /// value given for it is the target); the server's raw body stays on the exception.
    /// </summary>
    protected ErrorRecord ErrorFor(Exception e, object? target)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e)
        {
            case SandboxApiException api:
            {
                // The SDK says what kind of failure it was; the module's stable ids and categories come from ErrorIds.
                var category = Enum.TryParse<ErrorCategory>(api.CategoryName(), out var c) ? c : ErrorCategory.NotSpecified;
                var field = api.ValidationIssues.Select(i => i.Field).FirstOrDefault(f => f is not null) ?? api.Field;
                if (field is not null && ParameterFor(field) is { } parameter && MyInvocation.BoundParameters.TryGetValue(parameter, out var given))
                    target = given;
                var record = new ErrorRecord(api, api.ErrorId(), category, target ?? api.TargetName);
                var sentence = ErrorSentences.For(api, ParameterFor);
                if (api is SandboxConnectionException && api.Message.EndsWith(SandboxClient.LocalServerHint, StringComparison.Ordinal))
                    sentence = api.Message + " (Start-SandboxServer starts it.)"; // the SDK does not name cmdlets; the module does
                record.ErrorDetails = new ErrorDetails(sentence) { RecommendedAction = RecommendedActionFor(api) };
                return record;
            }
            case ItemNotFoundException or FileNotFoundException or DirectoryNotFoundException:
                return new ErrorRecord(e, "SandboxLocalPathNotFound", ErrorCategory.ObjectNotFound, target);
            case SandboxDestinationExistsException:
                return new ErrorRecord(e, "SandboxDestinationExists", ErrorCategory.ResourceExists, target);
            case SandboxUnsafeArchiveException:
                return new ErrorRecord(e, "SandboxUnsafeArchive", ErrorCategory.SecurityError, target);
            case UnauthorizedAccessException:
                return new ErrorRecord(e, "SandboxLocalPathAccessDenied", ErrorCategory.PermissionDenied, target);
            case IOException:
                return new ErrorRecord(e, "SandboxLocalIOError", ErrorCategory.WriteError, target);
            case ArgumentException or FormatException:
                return new ErrorRecord(e, "SandboxInvalidArgument", ErrorCategory.InvalidArgument, target);
            case NotSupportedException:
                return new ErrorRecord(e, "SandboxNotSupported", ErrorCategory.NotImplemented, target);
            default:
                return new ErrorRecord(e, "SandboxUnexpectedError", ErrorCategory.NotSpecified, target);
        }
    }

    /// <summary>This cmdlet's parameter that is sent as <paramref name="field"/> (its <see cref="WireFieldAttribute"/>), or null.</summary>
    protected string? ParameterFor(string field) =>
        ErrorSentences.ParameterOf(field, GetType().GetProperties()
            .SelectMany(p => System.Reflection.CustomAttributeExtensions.GetCustomAttribute<WireFieldAttribute>(p, true)?.Fields.Select(f => (p.Name, f)) ?? []));

    private static string? RecommendedActionFor(SandboxApiException e) => e switch
    {
        SandboxAuthenticationException => "Check the API key: Connect-Sandbox -Endpoint <url> -ApiKey (Read-Host -AsSecureString), or set SANDBOX_API_KEY.",
        SandboxQuotaExceededException { RetryAfter: { } after } => $"Retry after {after.TotalSeconds:0} s.",
        SandboxConnectionException => "Check the endpoint (Get-SandboxConnection); for the local server run Start-SandboxServer.",
        SandboxValidationException => "Check the values named in the message (Get-Help <cmdlet> -Parameter <name> shows what each takes).",
        _ => null,
    };

    // ---------------------------------------------------------------- confirmation

    /// <summary>
    /// <c>ShouldProcess</c> once per item, with <c>-Force</c> skipping the confirmation prompt (but not <c>-WhatIf</c>, and not an
    /// explicit <c>-Confirm</c>).
    /// </summary>
    protected bool ShouldProcessItem(string target, string action, bool force)
    {
        if (force && !MyInvocation.BoundParameters.ContainsKey("Confirm") && !IsWhatIf()) return true;
        return ShouldProcess(target, action);
    }

    private bool IsWhatIf()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var v)) return v is SwitchParameter s ? s.IsPresent : LanguagePrimitives.IsTrue(v);
        return LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference", false));
    }

    // ---------------------------------------------------------------- values

    /// <summary>A hashtable of environment variables as strings; a bad key is a terminating <c>InvalidArgument</c> error.</summary>
    protected Dictionary<string, string>? ToEnvironment(IDictionary? table, string parameterName)
    {
        if (table is null || table.Count == 0) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            var key = LanguagePrimitives.ConvertTo<string>(entry.Key);
            if (string.IsNullOrWhiteSpace(key))
                FailArgument($"-{parameterName} has an empty name", "SandboxInvalidEnvironment", table);
            result[key] = entry.Value is null ? "" : LanguagePrimitives.ConvertTo<string>(entry.Value);
        }
        return result;
    }

    /// <summary>What a label key may be (the server's rule, checked here so that the error names the parameter).</summary>
    private static readonly System.Text.RegularExpressions.Regex LabelKey = new(@"^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$");

    /// <summary>A hashtable of labels to set, as strings; a bad key or a missing value is a terminating <c>InvalidArgument</c> error (SandboxInvalidLabel).</summary>
    protected Dictionary<string, string>? ToLabels(IDictionary? table, string parameterName) =>
        ToLabelTable(table, parameterName, filter: false)?.ToDictionary(e => e.Key, e => e.Value!, StringComparer.Ordinal);

    /// <summary>A hashtable of label filters: a value of <c>$null</c> or <c>*</c> means the key is present with any value.</summary>
    protected Dictionary<string, string?>? ToLabelFilters(IDictionary? table, string parameterName) => ToLabelTable(table, parameterName, filter: true);

    private Dictionary<string, string?>? ToLabelTable(IDictionary? table, string parameterName, bool filter)
    {
        if (table is null || table.Count == 0) return null;
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            var key = LanguagePrimitives.ConvertTo<string>(entry.Key) ?? "";
            if (!LabelKey.IsMatch(key))
                FailArgument($"-{parameterName}: the key '{key}' is not a label key: use 1-253 letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit", "SandboxInvalidLabel", table);
            var value = entry.Value is null ? null : LanguagePrimitives.ConvertTo<string>(entry.Value);
            if (filter && value == "*") value = null;
            if (!filter && value is null)
                FailArgument($"-{parameterName}: the label '{key}' has no value: give a string (an empty string is allowed)", "SandboxInvalidLabel", table);
            result[key] = value;
        }
        return result;
    }

    // ---------------------------------------------------------------- connections

    /// <summary>
    /// The connection to use: <c>-Connection</c>, else the default (<c>Connect-Sandbox</c>, in this runspace or any runspace
    /// of the process), else the configuration chain (<c>SANDBOX_ENDPOINT</c>/<c>SANDBOX_API_KEY</c>, <c>LANGSMITH_*</c>,
    /// read again at every cmdlet), else the local server, started on demand. A failure here is terminating: nothing can be
    /// done without a server.
    /// </summary>
    protected SandboxConnection ResolveConnection()
    {
        if (_resolved is not null) return _resolved;
        if (ConnectionParameter is { IsOpen: false } closed)
            FailArgument($"the connection to {closed.Endpoint} was closed by Disconnect-Sandbox; connect again with Connect-Sandbox", "SandboxConnectionClosed", closed);
        try
        {
            if ((ConnectionParameter ?? ModuleState.Current.Default) is { } connected)
            {
                EnsureStillRuns(connected);
                return _resolved = connected;
            }
            var chain = SandboxConnectionSettings.Resolve();
            if (ModuleState.ChainConnectionFor(chain) is { } made)
            {
                if (!LocalServerGone(made)) return _resolved = made;
                // The local server went away (its idle shutdown, or stopped in another shell): start it again below.
                ModuleState.ForgetLocalChain(made.DataDirectory);
            }
            if (!chain.IsLocalServer) return _resolved = ModuleState.RememberChainConnection(chain, new SandboxConnection(chain, isLocalServer: false));
            var server = EnsureLocalServer(null);
            var local = ModuleState.RememberChainConnection(chain, ConnectionToLocalServer(server));
            // The first implicit use says which server and data directory it is (once a process: the connection is shared).
            if (!local.Announced)
            {
                local.Announced = true;
                WriteInformation(new HostInformationMessage
                {
                    Message = $"Using the local sandbox server at {server.Endpoint} (data directory {server.DataDirectory}). " +
                              "Connect-Sandbox or SANDBOX_ENDPOINT choose another; Stop-SandboxServer stops it.",
                    NoNewLine = false,
                }, ["PSHOST", "Sandbox", "LocalServer"]);
            }
            return _resolved = local;
        }
        catch (Exception e) when (IsItemFailure(e))
        {
            ThrowTerminatingError(ErrorFor(e, null));
            throw;
        }
    }

    /// <summary>
    /// The client of <see cref="ResolveConnection"/>. Taking it also points the HTTP trace of the calls that follow on this
    /// thread at this cmdlet (its -Debug stream, or nowhere): cmdlets of one pipeline take turns on the pipeline thread.
    /// </summary>
    protected SandboxClient Client
    {
        get
        {
            SandboxHttpTrace.Sink = HttpTraceSink;
            return ResolveConnection().Client;
        }
    }

    private readonly ConcurrentQueue<string> _httpTrace = new();
    private Action<string>? _httpTraceSink;
    private bool? _debugging;

    /// <summary>Where this cmdlet's HTTP trace lines go: a queue written to the debug stream on the pipeline thread, when -Debug (or $DebugPreference) asks.</summary>
    private Action<string>? HttpTraceSink
    {
        get
        {
            _debugging ??= MyInvocation.BoundParameters.TryGetValue("Debug", out var d) ? ((SwitchParameter)d).IsPresent
                : GetVariableValue("DebugPreference") is ActionPreference p && p is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);
            return _debugging == true ? _httpTraceSink ??= _httpTrace.Enqueue : null;
        }
    }

    /// <summary>Writes the HTTP trace lines queued so far (pipeline thread only).</summary>
    protected void WriteHttpTrace()
    {
        while (_httpTrace.TryDequeue(out var line))
            if (!Stopping) WriteDebug(line);
    }

    /// <summary>
    /// A running local server: the one given, else the last one started in this runspace when it still runs, else the
    /// default one (started when it does not answer). Progress goes to the verbose stream.
    /// </summary>
    protected LocalServerInfo EnsureLocalServer(LocalServerInfo? given)
    {
        if (given is not null) return given;
        var last = ModuleState.Current.LastServer;
        if (last is not null)
        {
            var now = Pump<LocalServerInfo, string>((_, ct) => LocalServerManager.Shared.GetAsync(last.DataDirectory, ct), WriteVerbose);
            if (now.IsRunning) return now;
        }
        WriteVerbose("No sandbox endpoint is configured: using the local server.");
        return EnsureDefaultLocalServer();
    }

    /// <summary>The default local server, started when it does not answer (a foreign server there is refused).</summary>
    private LocalServerInfo EnsureDefaultLocalServer()
    {
        var (server, started) = Pump<(LocalServerInfo, bool), string>(
            (progress, ct) => LocalServerManager.Shared.EnsureDefaultServerAsync(ModuleDirectory, progress, ct), WriteVerbose);
        if (started) WriteVerbose($"Started the local server at {server.Endpoint} (data directory {server.DataDirectory}).");
        return server;
    }

    /// <summary>
    /// A connection to a local server that went away since (its idle shutdown, or stopped in another shell): the default
    /// server is started again on the same address and key; any other is named with how to start it, instead of "connection refused".
    /// </summary>
    private void EnsureStillRuns(SandboxConnection connection)
    {
        if (!LocalServerGone(connection)) return;
        var dir = connection.DataDirectory!;
        if (LocalServerManager.Shared.IsDefaultDataDirectory(dir) && connection.Endpoint == EnsureDefaultLocalServer().Endpoint) return;
        throw new LocalServerException(
            $"the local server at {connection.Endpoint} (data directory {dir}) no longer runs: start it again with Start-SandboxServer -DataDirectory '{dir}', then Connect-Sandbox -Server",
            LocalServerException.NotRunning, SandboxErrorCategory.ConnectionError, connection.Endpoint);
    }

    /// <summary>
    /// True when <paramref name="connection"/> goes to a local server that has ended (a look at its process, or one /healthz
    /// for a server started by hand; neither counts as use for its idle shutdown).
    /// </summary>
    private bool LocalServerGone(SandboxConnection connection) =>
        connection is { IsLocalServer: true, DataDirectory: { } dir }
        && Pump<bool, string>((_, ct) => LocalServerManager.Shared.HasEndedAsync(dir, connection.Endpoint, ct), WriteVerbose);

    /// <summary>Says on the verbose stream why a running server's data-plane.json was not used: a malformed file is no data plane, not a failure.</summary>
    protected void WriteDataPlaneProblem(LocalServerInfo server)
    {
        if (server.IsRunning && server.DataPlaneDomain is null && LocalDataPlane.Read(server.DataDirectory, out var problem) is null && problem is not null)
            WriteVerbose(problem);
    }

    /// <summary>A connection to a local server, with the key read from its key file.</summary>
    protected static SandboxConnection ConnectionToLocalServer(LocalServerInfo server, SandboxClientOptions? options = null)
    {
        string? key = null;
        try
        {
            if (File.Exists(server.ApiKeyFile)) key = File.ReadAllText(server.ApiKeyFile).Trim();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SandboxAuthenticationException($"the local server's key file {server.ApiKeyFile} cannot be read: run as the user that started the server", null, "Unauthorized", e);
        }
        return new SandboxConnection(SandboxConnectionSettings.ForLocalServer(server.Endpoint, string.IsNullOrEmpty(key) ? null : key, server.ApiKeyFile), isLocalServer: true, server.DataDirectory, options);
    }

    // ---------------------------------------------------------------- progress

    /// <summary>Writes a completed record for <paramref name="activityId"/> so that the bar disappears.</summary>
    protected void CompleteProgress(int activityId, string activity)
    {
        WriteProgress(new ProgressRecord(activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
    }
}

/// <summary>The base of every cmdlet that talks to a server: adds <c>-Connection</c> and the sandbox and template helpers.</summary>
public abstract class SandboxConnectedCmdlet : SandboxCmdlet
{
    /// <summary>
    /// <para type="description">The connection to use (from Connect-Sandbox). By default: the default connection, else the
    /// configuration chain, else the local server, started when needed.</para>
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public SandboxConnection? Connection { get; set; }

    /// <inheritdoc />
    protected override SandboxConnection? ConnectionParameter => Connection;

    /// <summary>
    /// What a <c>-Name</c> value names: the name itself, with no object, when it has no wildcards (so that a missing one
    /// fails with its own not-found error), else the resources that match (none is not an error). The one place where
    /// the module expands wildcards.
    /// </summary>
    private protected IReadOnlyList<(string Name, T? Known)> Expand<T>(ResourceKind<T> kind, string pattern) where T : Sandbox.Client.SandboxResource
    {
        if (!SandboxWildcard.ContainsWildcard(pattern)) return [(MatchCase(kind, SandboxWildcard.Parse(pattern).LiteralText ?? pattern), null)];
        var found = Await(kind.FindAsync(Client, pattern, CancellationToken));
        if (found.Count == 0) WriteVerbose($"No {kind.Noun} matches '{pattern}'.");
        return found.Select(item => (kind.NameOf(item), (T?)item)).ToList();
    }

    /// <summary>
    /// A literal name matches regardless of case, as wildcards do: names on the server are lowercase, so a name with
    /// capitals is looked up (only then) and resolves to the one resource whose name equals it ignoring case. When there
    /// is none the name stays as typed, so that the action fails with its own not-found error.
    /// </summary>
    private string MatchCase<T>(ResourceKind<T> kind, string name) where T : Sandbox.Client.SandboxResource
    {
        if (name == name.ToLowerInvariant()) return name;
        try
        {
            // The SDK's lookup of a literal: the exact name, else the one that differs only in case.
            var found = Await(kind.FindAsync(Client, SandboxWildcard.Escape(name), CancellationToken));
            return found.Count == 1 ? kind.NameOf(found[0]) : name;
        }
        catch (SandboxNotFoundException)
        {
            return name;
        }
    }

    /// <summary>
    /// A sandbox ready for dataplane calls: the object itself when it came from this connection with its dataplane URL,
    /// else fetched by name.
    /// </summary>
    protected Sandbox.Client.Sandbox Refresh(Sandbox.Client.Sandbox sandbox)
    {
        var connection = ResolveConnection();
        if (!string.IsNullOrEmpty(sandbox.DataplaneUrl) && string.Equals(sandbox.Endpoint, connection.Endpoint, StringComparison.OrdinalIgnoreCase))
            return sandbox;
        return Await(Client.Sandboxes.GetAsync(sandbox.Name, null, CancellationToken));
    }
}
