using System.Collections.Concurrent;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Notices within moments when the init of a ready or paused sandbox ends. Each such sandbox's init is held through a
/// pidfd in one epoll set waited on by one dedicated thread: an exit is an event, not something found by polling, and
/// a frozen (paused, or snapshotting) init is simply a process that has not exited, so it is never taken for dead. A
/// pass every second starts following sandboxes that became ready and drops those that stopped; a ready sandbox with
/// no init at all is checked at that pass. What to do about an ended init is decided by
/// <see cref="SandboxManager.FailIfInitEndedAsync"/> under the sandbox's lock.
/// </summary>
public sealed class SandboxWatcher(SandboxRepository sandboxRows, SandboxRuntime runtime, SandboxManager manager, ILogger<SandboxWatcher> log) : BackgroundService
{
    private static readonly TimeSpan PassInterval = TimeSpan.FromSeconds(1);

    private sealed record Entry(string Id, InitProcess Init, long Key);

    // Touched by the watcher thread only.
    private readonly Dictionary<string, Entry> _byId = [];
    private readonly Dictionary<long, Entry> _byKey = [];
    private long _nextKey;
    // Sandboxes whose end is being handled (on the thread pool), so that a pass does not follow or check them twice.
    private readonly ConcurrentDictionary<string, byte> _handling = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stop)
    {
        InitEvents events;
        try
        {
            events = new InitEvents();
        }
        catch (Exception e)
        {
            log.LogError(e, "cannot watch sandbox inits: a sandbox whose init dies stays ready until it is stopped");
            return;
        }
        using (events)
        {
            var lastPass = DateTime.MinValue;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (DateTime.UtcNow - lastPass >= PassInterval)
                    {
                        Pass(events, stop);
                        lastPass = DateTime.UtcNow;
                    }
                    foreach (var key in events.Wait(500))
                    {
                        if (!_byKey.Remove(key, out var entry)) continue;
                        _byId.Remove(entry.Id);
                        events.Remove(entry.Init);
                        Handle(entry.Id, entry.Init, stop);
                    }
                }
                catch (Exception e)
                {
                    log.LogError(e, "watching sandbox inits");
                    stop.WaitHandle.WaitOne(PassInterval);
                }
            }
            foreach (var entry in _byId.Values) entry.Init.Dispose();
            _byId.Clear();
            _byKey.Clear();
        }
    }

    /// <summary>Follows the inits of sandboxes that are ready or paused now; lets go of the others.</summary>
    private void Pass(InitEvents events, CancellationToken stop)
    {
        var live = sandboxRows.AllSandboxes().Where(r => r.Status is SandboxStatus.Ready or SandboxStatus.Paused).Select(r => r.Id).ToHashSet();
        foreach (var entry in _byId.Values.Where(e => !live.Contains(e.Id)).ToList()) Forget(events, entry);
        foreach (var id in live)
        {
            if (_byId.ContainsKey(id) || _handling.ContainsKey(id)) continue;
            var init = InitProcess.Find(runtime.Cgroups(id));
            if (init is null)
            {
                Handle(id, null, stop); // no init: ended before we followed it, or a runtime whose init we do not recognise
                continue;
            }
            var entry = new Entry(id, init, ++_nextKey);
            if (!events.Add(init, entry.Key))
            {
                init.Dispose();
                continue;
            }
            _byId[id] = entry;
            _byKey[entry.Key] = entry; // an init that ended already is reported by the next wait (epoll is level-triggered)
        }
    }

    private void Forget(InitEvents events, Entry entry)
    {
        _byId.Remove(entry.Id);
        _byKey.Remove(entry.Key);
        events.Remove(entry.Init);
        entry.Init.Dispose();
    }

    private void Handle(string id, InitProcess? ended, CancellationToken stop)
    {
        if (!_handling.TryAdd(id, 0))
        {
            ended?.Dispose();
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                // The exit status is kept by the kernel once the init is reaped (by its parent, at once).
                var how = ended is null ? null : await ended.ExitDescriptionAsync(TimeSpan.FromMilliseconds(500));
                await manager.FailIfInitEndedAsync(id, followed: ended is not null, how, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                log.LogError(e, "checking sandbox {Id} after its init ended", id);
            }
            finally
            {
                ended?.Dispose();
                _handling.TryRemove(id, out _);
            }
        }, CancellationToken.None);
    }
}
