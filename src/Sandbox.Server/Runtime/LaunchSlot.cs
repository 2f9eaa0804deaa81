using System.Diagnostics;
using System.Text;

namespace Sandbox.Server.Runtime;

/// <summary>
/// A sandbox-init launcher started ahead of time for one sandbox id: it has joined the sandbox's
/// cgroups and waits on stdin for the runc arguments (see native/sandbox-init.c).
/// </summary>
public sealed class LaunchSlot(string id, Process launcher)
{
    private int _used;

    public string Id { get; } = id;

    /// <summary>The launcher's pid, which runc keeps (the launcher execs it): its fd 5 is the sandbox's user namespace.</summary>
    public int Pid { get; } = launcher.Id;

    private readonly Lock _exitLock = new();
    private int? _exitCode;
    private bool _disposed;

    public bool HasExited
    {
        get
        {
            lock (_exitLock) return _exitCode is not null || !_disposed && launcher.HasExited;
        }
    }

    /// <summary>
    /// True when the launcher (by then runc) ended with an error. <c>runc run --detach</c> itself ends once the sandbox
    /// runs, so ending is not failing.
    /// </summary>
    public bool Failed
    {
        get
        {
            lock (_exitLock) return (_exitCode ?? (!_disposed && launcher.HasExited ? launcher.ExitCode : 0)) != 0;
        }
    }

    private void Reap()
    {
        lock (_exitLock)
        {
            _exitCode = launcher.ExitCode;
            _disposed = true;
            launcher.Dispose();
        }
    }

    /// <summary>Sends the arguments; the launcher execs runc with them.</summary>
    public async Task StartAsync(IEnumerable<string> runcArguments, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _used, 1) != 0) throw new InvalidOperationException("a launch slot starts one sandbox only");
        var payload = new StringBuilder();
        foreach (var arg in runcArguments) payload.Append(arg).Append('\0');
        var stdin = launcher.StandardInput.BaseStream;
        await stdin.WriteAsync(Encoding.UTF8.GetBytes(payload.ToString()), ct);
        await stdin.FlushAsync(ct);
        launcher.StandardInput.Close();
        // The launcher execs runc, which ends once the sandbox runs; waiting on it reaps it.
        _ = launcher.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => Reap(), TaskScheduler.Default);
    }

    /// <summary>An unused slot: closing stdin with no arguments makes the launcher exit.</summary>
    public void Discard()
    {
        if (Interlocked.Exchange(ref _used, 1) != 0) return;
        try
        {
            launcher.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        _ = launcher.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => Reap(), TaskScheduler.Default);
    }
}
