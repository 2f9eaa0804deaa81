using System.Diagnostics;
using System.Text;

namespace Sandbox.Server.Runtime;

/// <summary>
/// A sandbox-init launcher started ahead of time for one sandbox id: it has joined the sandbox's
/// cgroups and waits on stdin for the bwrap arguments (see native/sandbox-init.c).
/// </summary>
public sealed class LaunchSlot(string id, Process launcher)
{
    private int _used;

    public string Id { get; } = id;

    public bool HasExited => launcher.HasExited;

    /// <summary>Sends the arguments; the launcher execs bwrap with them.</summary>
    public async Task StartAsync(IEnumerable<string> bwrapArguments, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _used, 1) != 0) throw new InvalidOperationException("a launch slot starts one sandbox only");
        var payload = new StringBuilder();
        foreach (var arg in bwrapArguments) payload.Append(arg).Append('\0');
        var stdin = launcher.StandardInput.BaseStream;
        await stdin.WriteAsync(Encoding.UTF8.GetBytes(payload.ToString()), ct);
        await stdin.FlushAsync(ct);
        launcher.StandardInput.Close();
        // The launcher execs into the outer bwrap; waiting on it reaps it when the sandbox stops.
        _ = launcher.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => launcher.Dispose(), TaskScheduler.Default);
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
        _ = launcher.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => launcher.Dispose(), TaskScheduler.Default);
    }
}
