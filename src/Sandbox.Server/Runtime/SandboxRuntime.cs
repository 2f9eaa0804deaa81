using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Server.Runtime;

/// <summary>What the runtime needs to boot one sandbox.</summary>
public sealed record BootSpec(string Id, string Hostname, string LowerDir, ResourceLimits Limits, IReadOnlyList<BindMount>? Binds = null);

/// <summary>
/// Runs sandboxes as bubblewrap namespaces over an overlay root, with sandbox-init as their init.
/// Sandboxes do not depend on the server process: they run in their own session and are found
/// again after a restart through their cgroup and control socket.
/// </summary>
public sealed class SandboxRuntime
{
    public const int DefaultPidsMax = 512;
    private readonly string _dataDir;
    private readonly string _boxesDir;
    private readonly string _cgroupRoot;
    private readonly string _helperPath;
    private readonly string _bwrapPath;
    private readonly ILogger<SandboxRuntime> _log;

    public SandboxRuntime(ServerOptions options, ILogger<SandboxRuntime> log)
    {
        _log = log;
        _dataDir = options.DataDir;
        _boxesDir = Path.Combine(_dataDir, "boxes");
        Directory.CreateDirectory(_boxesDir);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_dataDir)))[..12];
        _cgroupRoot = $"sandbox-{hash}";
        _helperPath = Path.Combine(AppContext.BaseDirectory, "sandbox-init");
        if (!File.Exists(_helperPath)) throw new InvalidOperationException($"sandbox-init not found next to the server at {_helperPath}; build the project with a C compiler present");
        _bwrapPath = FindOnPath("bwrap") ?? throw new InvalidOperationException("bwrap not found on PATH: install the 'bubblewrap' package");
        SandboxCgroups.CheckAvailable();
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    public string BoxDir(string id) => Path.Combine(_boxesDir, id);
    public string SocketPath(string id) => Path.Combine(BoxDir(id), "ctl.sock");
    private string UpperDir(string id) => Path.Combine(BoxDir(id), "upper");
    private string WorkDir(string id) => Path.Combine(BoxDir(id), "work");
    private string MergedDir(string id) => Path.Combine(BoxDir(id), "merged");
    public SandboxCgroups Cgroups(string id) => new(_cgroupRoot, id);

    /// <summary>
    /// Boots a sandbox and returns once its init answers on the control socket. A slot taken from
    /// <see cref="TakeSlot"/> has done the slow part (joining cgroups) already; without one, a
    /// launcher is prepared here.
    /// </summary>
    public async Task BootAsync(BootSpec spec, LaunchSlot? slot, CancellationToken ct)
    {
        slot ??= PrepareSlot(spec.Id);
        if (slot.Id != spec.Id) throw new ArgumentException("the slot belongs to another sandbox", nameof(slot));
        var merged = MergedDir(spec.Id);
        var mounted = false;
        var timer = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(Path.Combine(UpperDir(spec.Id), "home", "user"));
            Directory.CreateDirectory(WorkDir(spec.Id));
            Directory.CreateDirectory(merged);
            Native.MountOverlay(spec.LowerDir, UpperDir(spec.Id), WorkDir(spec.Id), merged);
            mounted = true;
            Cgroups(spec.Id).ApplyLimits(spec.Limits);
            await slot.StartAsync(BwrapArguments(spec, merged), ct);

            await WaitForHelperAsync(spec.Id, slot, ct);
        }
        catch
        {
            slot.Discard();
            if (mounted) Native.Unmount(merged);
            await StopProcessesAsync(spec.Id);
            throw;
        }
        finally
        {
            RefillSlots();
        }
        // Only the sandbox's own mount namespace needs the overlay from here on.
        Native.Unmount(merged);
        _log.LogDebug("sandbox {Id} booted in {Ms:F2} ms", spec.Id, timer.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Waits until sandbox-init answers a ping. Once the launcher has bound the socket, a connect
    /// waits in the listen backlog until sandbox-init accepts, so the ping answers exactly at
    /// readiness; a launcher started just now may not have bound it yet, so refused connects retry.
    /// </summary>
    private async Task WaitForHelperAsync(string id, LaunchSlot slot, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (slot.HasExited) throw new InvalidOperationException($"sandbox failed to start: {ReadLog(id)}");
            try
            {
                var ping = HelperClient.PingAsync(SocketPath(id), ct);
                while (!ping.IsCompleted)
                {
                    await Task.WhenAny(ping, Task.Delay(20, ct));
                    if (slot.HasExited && !ping.IsCompleted) throw new InvalidOperationException($"sandbox failed to start: {ReadLog(id)}");
                }
                await ping;
                return;
            }
            catch (SandboxUnreachableException) when (deadline.Elapsed < BootTimeout)
            {
                await Task.Delay(1, ct);
            }
        }
    }

    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts a launcher for <paramref name="id"/>: it joins the cgroups and waits for its bwrap arguments.</summary>
    private LaunchSlot PrepareSlot(string id)
    {
        Directory.CreateDirectory(BoxDir(id));
        var cgroups = Cgroups(id);
        cgroups.CreateDirectories();
        var socketPath = SocketPath(id);
        File.Delete(socketPath);
        var psi = new ProcessStartInfo(_helperPath) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "launch", "--socket", socketPath, "--log", Path.Combine(BoxDir(id), "log"), "--args-from-stdin" }) psi.ArgumentList.Add(arg);
        foreach (var dir in cgroups.Directories)
        {
            psi.ArgumentList.Add("--cgroup");
            psi.ArgumentList.Add(dir);
        }
        return new LaunchSlot(id, Process.Start(psi) ?? throw new InvalidOperationException("could not start sandbox-init"));
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<LaunchSlot> _slots = new();
    private int _refilling;
    private volatile bool _poolEnabled;
    /// <summary>Launchers kept warm: enough for a burst of creates while the next ones join their cgroups.</summary>
    public const int WarmSlots = 6;

    /// <summary>A fresh sandbox id with its launcher already in its cgroups, or a new one when none is warm.</summary>
    public LaunchSlot TakeSlot()
    {
        // Refilled after the boot (see BootAsync), not here: a launcher joining its cgroups holds the kernel's
        // cgroup threadgroup lock for an RCU grace period, and every fork on the host - bwrap's included - waits for it.
        return _slots.TryDequeue(out var slot) ? slot : PrepareSlot(Guid.NewGuid().ToString());
    }

    /// <summary>An unused slot goes back to the pool (for example when the name was taken).</summary>
    public void ReturnSlot(LaunchSlot slot)
    {
        if (!slot.HasExited && _poolEnabled) _slots.Enqueue(slot);
        else _ = DiscardSlotAsync(slot);
    }

    public void StartSlotPool()
    {
        _poolEnabled = true;
        RefillSlots();
    }

    private void RefillSlots()
    {
        if (!_poolEnabled || Interlocked.Exchange(ref _refilling, 1) == 1) return;
        _ = Task.Run(() =>
        {
            try
            {
                // Back-to-back migrations share one RCU grace period, so a burst costs about as much as one.
                while (_poolEnabled && _slots.Count < WarmSlots) _slots.Enqueue(PrepareSlot(Guid.NewGuid().ToString()));
            }
            catch (Exception e)
            {
                _log.LogWarning("could not warm a sandbox launcher: {Error}", e.Message);
            }
            finally
            {
                Volatile.Write(ref _refilling, 0);
            }
        });
    }

    /// <summary>Ends the warm launchers and removes what they prepared, and this server's cgroup roots when empty.</summary>
    public async Task StopSlotPoolAsync()
    {
        _poolEnabled = false;
        while (_slots.TryDequeue(out var slot)) await DiscardSlotAsync(slot);
        SandboxCgroups.RemoveRootIfEmpty(_cgroupRoot);
    }

    private async Task DiscardSlotAsync(LaunchSlot slot)
    {
        slot.Discard();
        await DestroyAsync(slot.Id);
    }

    /// <summary>Removes sandboxes the state does not know: slots of a server that was killed, half-made boots.</summary>
    public async Task SweepOrphansAsync(IReadOnlySet<string> known)
    {
        var ids = Directory.EnumerateDirectories(_boxesDir).Select(Path.GetFileName).OfType<string>()
            .Concat(SandboxCgroups.ExistingIds(_cgroupRoot)).Distinct().Where(id => !known.Contains(id)).ToList();
        foreach (var id in ids)
        {
            try
            {
                await DestroyAsync(id);
            }
            catch (Exception e)
            {
                _log.LogWarning("could not remove leftover sandbox {Id}: {Error}", id, e.Message);
            }
        }
    }

    private IEnumerable<string> BwrapArguments(BootSpec spec, string merged)
    {
        string[] bwrap =
        [
            _bwrapPath,
            "--bind", merged, "/",
            "--proc", "/proc",
            "--dev", "/dev",
            "--tmpfs", "/tmp",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try",
            "--hostname", spec.Hostname,
            "--cap-drop", "ALL",
            "--chdir", "/home/user",
            "--clearenv",
            "--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "--as-pid-1",
        ];
        foreach (var arg in bwrap) yield return arg;
        // Hide the server's data directory (keys, other sandboxes) where the lower layer shows it.
        foreach (var hidden in HiddenPaths(spec.LowerDir))
        {
            yield return "--tmpfs";
            yield return hidden;
        }
        // Volumes (host mounts, see VolumeRuntime), after the hiding so a mount path is never covered by it.
        foreach (var bind in spec.Binds ?? [])
        {
            yield return "--bind";
            yield return bind.Source;
            yield return bind.Target;
        }
        yield return "/proc/self/fd/5";
        yield return "serve";
        yield return "3";
    }

    private IEnumerable<string> HiddenPaths(string lowerDir)
    {
        var lower = Path.TrimEndingDirectorySeparator(lowerDir);
        var data = Path.TrimEndingDirectorySeparator(_dataDir);
        if (lower == "/" && !data.StartsWith("/tmp/", StringComparison.Ordinal)) yield return data;
        else if (data.StartsWith(lower + "/", StringComparison.Ordinal)) yield return data[lower.Length..];
    }

    private string ReadLog(string id)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(BoxDir(id), "log")).Trim();
            return text.Length > 500 ? text[^500..] : text;
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Ends every process of the sandbox; keeps its filesystem.</summary>
    public async Task StopProcessesAsync(string id)
    {
        var cgroups = Cgroups(id);
        await cgroups.KillAllAsync();
        // A crash between mount and detach can leave the overlay on the host.
        Native.Unmount(MergedDir(id));
        File.Delete(SocketPath(id));
    }

    /// <summary>Removes processes, cgroups, mounts and files: nothing of the sandbox stays on the host.</summary>
    public async Task DestroyAsync(string id)
    {
        await StopProcessesAsync(id);
        await Cgroups(id).RemoveAsync();
        var dir = BoxDir(id);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>True when the sandbox's init runs and answers.</summary>
    public async Task<bool> IsAliveAsync(string id, CancellationToken ct)
    {
        if (!Cgroups(id).HasProcesses || !File.Exists(SocketPath(id))) return false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await HelperClient.PingAsync(SocketPath(id), timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SandboxUnreachableException or OperationCanceledException or IOException)
        {
            _log.LogWarning("sandbox {Id} has processes but its helper does not answer: {Error}", id, e.Message);
            return false;
        }
    }

    /// <summary>Bytes used by the sandbox's own upper layer.</summary>
    public long DiskBytesUsed(string id)
    {
        var upper = new DirectoryInfo(UpperDir(id));
        if (!upper.Exists) return 0;
        return upper.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Sum(f => f.Length);
    }
}
