using System.Management.Automation.Runspaces;

namespace SandboxModule;

/// <summary>
/// What <c>-AsJob</c> returns: the same cmdlet with the same parameters (less -AsJob, plus the connection it resolved),
/// run in a runspace of its own on another thread, its output, errors, progress, verbose, warning and information going
/// to the job's streams. It lives in the job repository, so Get-Job, Receive-Job, Wait-Job and Stop-Job work on it;
/// Stop-Job stops the inner pipeline, which cancels the cmdlet's calls as Ctrl+C would.
/// A plain <see cref="Job"/>, not a <see cref="Job2"/>: Receive-Job -AutoRemoveJob removes a Job2 through the runspace's
/// JobManager, which knows only jobs of a registered JobSourceAdapter, and failed with ReceiveJobAutoRemovalError; a Job
/// is removed from the job repository it was added to. Suspend and resume were never supported.
/// </summary>
public sealed class SandboxJob : Job
{
    private readonly System.Management.Automation.PowerShell _powerShell;
    private readonly Runspace _runspace;
    private int _started;

    /// <summary>The job type shown by Get-Job (PSJobTypeName).</summary>
    public const string JobTypeName = "SandboxJob";

    private SandboxJob(string command, System.Management.Automation.PowerShell powerShell, Runspace runspace) : base(command, null)
    {
        _powerShell = powerShell;
        _runspace = runspace;
        PSJobTypeName = JobTypeName;
        var streams = powerShell.Streams;
        streams.Error = Error;
        streams.Progress = Progress;
        streams.Verbose = Verbose;
        streams.Debug = Debug;
        streams.Warning = Warning;
        streams.Information = Information;
    }

    /// <summary>A job (not started) that runs <paramref name="cmdletType"/> as <paramref name="cmdletName"/> with <paramref name="parameters"/> in <paramref name="location"/>.</summary>
    internal static SandboxJob Create(string command, string cmdletName, Type cmdletType, IDictionary<string, object?> parameters, string? location)
    {
        // Only this cmdlet in a fresh runspace: no profile and no module import to wait for; the connection comes as a parameter.
        var state = InitialSessionState.CreateDefault2();
        state.Commands.Add(new SessionStateCmdletEntry(cmdletName, cmdletType, null));
        var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        // Relative local paths mean what they meant where -AsJob was given.
        if (location is not null) runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(location));
        var powerShell = System.Management.Automation.PowerShell.Create();
        powerShell.Runspace = runspace;
        powerShell.AddCommand(cmdletName);
        foreach (var (name, value) in parameters) powerShell.AddParameter(name, value);
        return new SandboxJob(command, powerShell, runspace);
    }

    /// <inheritdoc />
    public override string Location => "localhost";

    /// <inheritdoc />
    public override string StatusMessage => "";

    /// <inheritdoc />
    public override bool HasMoreData =>
        Output.Count > 0 || Error.Count > 0 || Progress.Count > 0 || Verbose.Count > 0 || Debug.Count > 0 || Warning.Count > 0 || Information.Count > 0;

    /// <summary>Runs the cmdlet (once).</summary>
    public void StartJob()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        SetJobState(JobState.Running);
        _powerShell.BeginInvoke<PSObject, PSObject>(null, Output, null, OnFinished, null);
    }

    private void OnFinished(IAsyncResult result)
    {
        var state = JobState.Completed;
        try
        {
            _powerShell.EndInvoke(result);
            if (_powerShell.HadErrors && _powerShell.InvocationStateInfo.State == PSInvocationState.Failed) state = JobState.Failed;
        }
        catch (PipelineStoppedException)
        {
            state = JobState.Stopped;
        }
        catch (RuntimeException e)
        {
            // A terminating error of the cmdlet: the job fails with it, as Start-Job's would.
            Error.Add(e.ErrorRecord);
            state = JobState.Failed;
        }
        if (_powerShell.InvocationStateInfo.State == PSInvocationState.Stopped) state = JobState.Stopped;
        Output.Complete();
        Error.Complete();
        _runspace.Dispose();
        SetJobState(state);
    }

    /// <inheritdoc />
    public override void StopJob()
    {
        if (JobStateInfo.State is JobState.Completed or JobState.Failed or JobState.Stopped) return;
        SetJobState(JobState.Stopping);
        _powerShell.Stop();
        Finished.WaitOne();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _powerShell.Dispose();
            _runspace.Dispose();
        }
        base.Dispose(disposing);
    }
}
