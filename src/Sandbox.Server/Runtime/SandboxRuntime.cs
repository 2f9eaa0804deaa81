using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Server.Runtime;

/// <summary>What the runtime needs to boot one sandbox.</summary>
/// <param name="FsCapacityBytes">The size of its writable filesystem (fs_capacity_bytes).</param>
public sealed record BootSpec(string Id, string Hostname, string LowerDir, ResourceLimits Limits, IReadOnlyList<BindMount>? Binds = null, long? FsCapacityBytes = null);

/// <summary>
/// Runs sandboxes as OCI containers under runc (see <see cref="OciBundle"/> for what each one may do), over an overlay
/// root whose writable layer is a filesystem of the sandbox's own (<see cref="SandboxStorage"/>), with sandbox-init as
/// their pid 1. Sandboxes do not depend on the server process: runc runs detached, and the server finds them again
/// after a restart through their cgroup and control socket.
/// </summary>
public sealed class SandboxRuntime
{
    public const int DefaultPidsMax = 512;
    /// <summary>The writable filesystem's size when neither the request nor the template names one.</summary>
    public const long DefaultFsCapacityBytes = 8L << 30;
    private readonly string _dataDir;
    private readonly string _boxesDir;
    private readonly string _runcRoot;
    private readonly string _cgroupRoot;
    private readonly string _helperPath;
    private readonly string _runcPath;
    private readonly JsonObject _seccomp;
    private readonly RootImages _images;
    private readonly SandboxStorage _storage;
    private readonly ILogger<SandboxRuntime> _log;

    public SandboxRuntime(ServerOptions options, RootImages images, ILogger<SandboxRuntime> log)
    {
        _log = log;
        _images = images;
        _storage = new SandboxStorage(log);
        _dataDir = options.DataDir;
        _boxesDir = Path.Combine(_dataDir, "boxes");
        _runcRoot = Path.Combine(_dataDir, "runc");
        Directory.CreateDirectory(_runcRoot);
        File.SetUnixFileMode(_runcRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        MakeTraversable(_boxesDir);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_dataDir)))[..12];
        _cgroupRoot = $"sandbox-{hash}";
        _helperPath = Path.Combine(AppContext.BaseDirectory, "sandbox-init");
        if (!File.Exists(_helperPath)) throw new InvalidOperationException($"sandbox-init not found next to the server at {_helperPath}; build the project with a C compiler present");
        _runcPath = FindOnPath("runc") ?? throw new InvalidOperationException("runc not found on PATH: install the Debian package 'runc'");
        _seccomp = SeccompProfile.Load(options.SeccompProfile);
        SandboxCgroups.CheckAvailable();
    }

    /// <summary>
    /// A directory on the way to a sandbox's root: runc mounts that root from inside the sandbox's user namespace, as
    /// the sandbox's root user (host uid 100000), so the path must be traversable by it and by no one else: owner root,
    /// group the sandboxes' root group, mode 0710.
    /// </summary>
    public static void MakeTraversable(string dir)
    {
        Directory.CreateDirectory(dir);
        if (Native.Chown(dir, 0, IdMap.HostId) != 0) throw new IOException($"chown {dir} failed");
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    public string BoxDir(string id) => Path.Combine(_boxesDir, id);
    public string SocketPath(string id) => Path.Combine(BoxDir(id), "ctl.sock");
    /// <summary>The sandbox's writable layer (on its own filesystem; see <see cref="SandboxStorage"/>).</summary>
    public string UpperDir(string id) => SandboxStorage.UpperDir(BoxDir(id));
    private string WorkDir(string id) => SandboxStorage.WorkDir(BoxDir(id));
    private string MergedDir(string id) => Path.Combine(BoxDir(id), "merged");
    private string ConfigPath(string id) => Path.Combine(BoxDir(id), "config.json");
    private string CgroupsPath(string id) => $"/{_cgroupRoot}/{id}";

    /// <summary>
    /// Makes and mounts the sandbox's writable filesystem when it is not there yet (before a snapshot's files are
    /// copied in, and at every boot). A filesystem made before keeps its size.
    /// </summary>
    public async Task PrepareStorageAsync(string id, long? capacityBytes, CancellationToken ct)
    {
        MakeTraversable(BoxDir(id));
        await _storage.EnsureAsync(BoxDir(id), capacityBytes ?? DefaultFsCapacityBytes, ct);
        // A sandbox of a data dir from before sandboxes had filesystems of their own: its files move onto its new one.
        var legacyUpper = Path.Combine(BoxDir(id), "upper");
        if (Directory.Exists(legacyUpper))
        {
            await SnapshotRuntime.CopyTreeAsync(legacyUpper, UpperDir(id), ct);
            await IdMap.ShiftTreeAsync(UpperDir(id), ct);
            SnapshotRuntime.RemoveTree(legacyUpper);
            SnapshotRuntime.RemoveTree(Path.Combine(BoxDir(id), "work"));
        }
    }
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
            await PrepareStorageAsync(spec.Id, spec.FsCapacityBytes, ct);
            var lower = await _images.ResolveAsync(spec.LowerDir);
            Directory.CreateDirectory(merged);
            MountOverlay(lower, UpperDir(spec.Id), WorkDir(spec.Id), merged);
            mounted = true;
            Cgroups(spec.Id).ApplyLimits(spec.Limits);
            var readOnly = RootImages.IsBuiltIn(spec.LowerDir) ? _images.HostReadOnlyDirs : [];
            var config = OciBundle.Config(spec, "merged", readOnly, CgroupsPath(spec.Id), $"/proc/{slot.Pid}/fd/5", _seccomp);
            await File.WriteAllTextAsync(ConfigPath(spec.Id), config.ToJsonString(), ct);
            // A container of that id left by a sandbox that stopped on its own (runc keeps its state until deleted).
            await DeleteContainerAsync(spec.Id);
            await slot.StartAsync(RuncArguments(spec.Id), ct);

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
    /// Mounts the overlay with its layers given as descriptors (<c>/proc/self/fd/N</c>), so that the options the sandbox
    /// can read in its mountinfo name no host path.
    /// </summary>
    private static void MountOverlay(string lower, string upper, string work, string target)
    {
        using var lowerFd = Native.OpenDirectoryPath(lower);
        using var upperFd = Native.OpenDirectoryPath(upper);
        using var workFd = Native.OpenDirectoryPath(work);
        static string Fd(Microsoft.Win32.SafeHandles.SafeFileHandle h) => $"/proc/self/fd/{h.DangerousGetHandle()}";
        Native.MountOverlay(Fd(lowerFd), Fd(upperFd), Fd(workFd), target);
    }

    private IEnumerable<string> RuncArguments(string id) =>
    [
        // --no-new-keyring: keyrings are out of reach inside (seccomp), and a session keyring per sandbox would use up
        // the kernel's per-user key quota (200 keys) of the sandboxes' host uid.
        _runcPath, "--root", _runcRoot, "run", "--detach", "--no-new-keyring", "--bundle", BoxDir(id),
        // fd 3: the control socket sandbox-init serves; fd 4: sandbox-init itself (see OciBundle).
        "--preserve-fds", "2", "--pid-file", Path.Combine(BoxDir(id), "init.pid"), id,
    ];

    /// <summary>Removes runc's record of the container (and the container, if it still runs).</summary>
    private async Task DeleteContainerAsync(string id)
    {
        if (!Directory.Exists(Path.Combine(_runcRoot, id))) return;
        var (code, _, error) = await HostCommand.TryRunAsync(_runcPath, ["--root", _runcRoot, "delete", "--force", id]);
        if (code != 0 && Directory.Exists(Path.Combine(_runcRoot, id)))
            _log.LogWarning("runc delete {Id} failed: {Error}", id, error);
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
            if (slot.Failed) throw new InvalidOperationException($"sandbox failed to start: {ReadLog(id)}");
            try
            {
                var ping = HelperClient.PingAsync(SocketPath(id), ct);
                while (!ping.IsCompleted)
                {
                    await Task.WhenAny(ping, Task.Delay(20, ct));
                    if (slot.Failed && !ping.IsCompleted) throw new InvalidOperationException($"sandbox failed to start: {ReadLog(id)}");
                }
                await ping;
                return;
            }
            catch (SandboxUnreachableException) when (deadline.Elapsed < BootTimeout)
            {
                await Task.Delay(1, ct);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                // The socket was closed under the ping: runc failed and its log says why.
                for (var i = 0; i < 100 && !slot.HasExited; i++) await Task.Delay(10, ct);
                throw new InvalidOperationException($"sandbox failed to start: {ReadLog(id)}", e);
            }
        }
    }

    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts a launcher for <paramref name="id"/>: it joins the cgroups and waits for its runc arguments.</summary>
    private LaunchSlot PrepareSlot(string id)
    {
        MakeTraversable(BoxDir(id));
        var cgroups = Cgroups(id);
        cgroups.CreateDirectories();
        var socketPath = SocketPath(id);
        File.Delete(socketPath);
        var psi = new ProcessStartInfo(_helperPath) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "launch", "--socket", socketPath, "--log", Path.Combine(BoxDir(id), "log"), "--args-from-stdin" }) psi.ArgumentList.Add(arg);
        // The user namespace, made by the launcher and owned by a host uid of this sandbox's own (see sandbox-init.c).
        foreach (var arg in new[] { "--userns-owner", IdMap.NewOwner().ToString(), "--userns-map", $"{IdMap.HostId} {IdMap.Size}" }) psi.ArgumentList.Add(arg);
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
                var fresh = new List<LaunchSlot>();
                while (_poolEnabled && _slots.Count + fresh.Count < WarmSlots) fresh.Add(PrepareSlot(Guid.NewGuid().ToString()));
                // Then each one's filesystem of the default capacity (mkfs and mount, ~0.1-0.2 s), off the request path;
                // a create that asks another capacity makes its own (SandboxStorage.EnsureAsync).
                foreach (var slot in fresh)
                {
                    try
                    {
                        PrepareStorageAsync(slot.Id, DefaultFsCapacityBytes, CancellationToken.None).GetAwaiter().GetResult();
                    }
                    catch (Exception e)
                    {
                        _log.LogWarning("could not prepare the filesystem of a warm sandbox launcher: {Error}", e.Message);
                    }
                    _slots.Enqueue(slot);
                }
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
        await DeleteContainerAsync(id);
        // A crash between mount and detach can leave the overlay on the host.
        Native.Unmount(MergedDir(id));
        File.Delete(SocketPath(id));
    }

    /// <summary>Removes processes, cgroups, mounts and files: nothing of the sandbox stays on the host.</summary>
    public async Task DestroyAsync(string id)
    {
        await StopProcessesAsync(id);
        await Cgroups(id).RemoveAsync();
        await _storage.RemoveAsync(BoxDir(id), CancellationToken.None);
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
        if (SandboxStorage.UsedBytes(BoxDir(id)) is { } used) return used;
        var upper = new DirectoryInfo(UpperDir(id));
        if (!upper.Exists) return 0;
        return upper.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Sum(f => f.Length);
    }
}
