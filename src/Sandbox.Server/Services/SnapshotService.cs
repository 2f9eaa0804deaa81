using System.Collections.Concurrent;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>How a new sandbox starts from a snapshot (see <see cref="SnapshotService.Launch"/>).</summary>
/// <param name="SnapshotId">The snapshot.</param>
/// <param name="TemplateName">The template to record on the sandbox (and take resource defaults from when it still exists); "" for an image.</param>
/// <param name="LowerDir">The sandbox's lower layer.</param>
/// <param name="CopiesUpper">True when the snapshot's files are copied into the sandbox's upper layer before its first boot.</param>
/// <param name="Resources">For a built-in snapshot: the built-in's resources (the sandbox records no template).</param>
public sealed record SnapshotLaunch(string SnapshotId, string TemplateName, string LowerDir, bool CopiesUpper, TemplateRecord? Resources = null)
{
    /// <summary>The snapshot's layer of run_config, the bottom of its sandboxes' own.</summary>
    public RunConfigRecord? RunConfig { get; init; }
}

/// <summary>
/// Snapshots: capture of a sandbox's filesystem, import of image archives, start of sandboxes from them, and deletion.
/// <para>
/// A snapshot of a sandbox holds a copy of its upper layer and the lower layer it went over. A sandbox started from it
/// gets its own copy of that upper layer over the same lower layer, so it never depends on the snapshot's files. (Stacking
/// the snapshot as a second lower layer, <c>lowerdir=SNAP:/</c>, is refused by the kernel with ELOOP when the template's lower
/// layer is the host's <c>/</c>, which contains the data dir.) An image snapshot is a whole root filesystem and is the lower
/// layer of its sandboxes: deleting it while sandboxes use it hides it from the API at once and removes its files when the
/// last sandbox whose lower layer lies in it is deleted (checked after each deletion, periodically and at start-up).
/// </para>
/// </summary>
public sealed class SnapshotService(SnapshotRepository snapshotRows, SnapshotFreezeRepository freezeRows, SnapshotRuntime files, ServerOptions options, TimeProvider clock, ILogger<SnapshotService> log)
{
    private readonly ConcurrentDictionary<string, int> _pins = new();
    private readonly ConcurrentDictionary<string, Task> _work = new();
    private readonly SemaphoreSlim _collect = new(1, 1);
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static DomainException NotFound(string id) => new NotFoundException("SnapshotNotFound", $"snapshot '{id}' not found");

    /// <summary>The tag a reference without one means.</summary>
    public const string DefaultTag = "latest";

    /// <summary>A live snapshot by id or by reference (<c>name[:tag]</c>, see <see cref="Find"/>).</summary>
    public SnapshotRecord Get(string idOrReference) => Find(idOrReference, asId: true) ?? throw NotFound(idOrReference);

    /// <summary>
    /// The live snapshot a reference names, or null: an id first (when <paramref name="asId"/>), then <c>name:tag</c>;
    /// a bare name is <c>name:latest</c>, else the newest ready snapshot of that name no tag resolves to.
    /// </summary>
    public SnapshotRecord? Find(string reference, bool asId)
    {
        if (asId && snapshotRows.GetSnapshot(reference) is { Deleted: false } byId) return byId;
        var (name, tag) = SplitReference(reference);
        return snapshotRows.FindByTag(name, tag ?? DefaultTag) ?? (tag is null ? snapshotRows.FindNewestUntagged(name) : null);
    }

    /// <summary><c>name[:tag]</c> split at its first colon (names hold none); tag null when absent.</summary>
    public static (string Name, string? Tag) SplitReference(string reference) =>
        reference.IndexOf(':') is var colon and >= 0 ? (reference[..colon], reference[(colon + 1)..]) : (reference, null);

    /// <summary><c>GET /snapshots-by-name/{name}</c>: every tag of the name; 404 when no live snapshot has that name.</summary>
    public List<SnapshotTag> TagsOf(string name)
    {
        var tags = snapshotRows.TagsOf(name);
        return tags.Count > 0 || snapshotRows.NameExists(name) ? tags : throw new NotFoundException("SnapshotNotFound", $"no snapshot is named '{name}'");
    }

    public List<SnapshotRecord> List(SnapshotQuery query) => snapshotRows.ListSnapshots(query);

    private SnapshotRecord Insert(SnapshotRecord record, string tag) => snapshotRows.InsertSnapshot(record, tag);

    private SnapshotRecord Save(SnapshotRecord record)
    {
        var updated = record with { UpdatedAt = Now };
        snapshotRows.UpdateSnapshot(updated);
        return updated;
    }

    // ---------------------------------------------------------------- capture

    /// <summary>Starts capturing a sandbox's filesystem; answers at once with the snapshot <c>building</c>, <c>name:tag</c> already pointing at it.</summary>
    public SnapshotRecord Capture(SandboxManager sandboxes, string sandboxName, CaptureSnapshotRequest request)
    {
        var (name, tag, labels, runConfig) = request;
        var sandbox = sandboxes.Get(sandboxName);
        if (sandbox.Status is SandboxStatus.Provisioning or SandboxStatus.Deleting)
            throw new RejectedException("NotReady", $"sandbox '{sandbox.Name}' is {sandbox.Status}; snapshot it once it is ready or stopped");
        var now = Now;
        var record = Insert(new SnapshotRecord
        {
            Id = Guid.NewGuid().ToString(),
            Name = name,
            Kind = SnapshotKind.Sandbox,
            Status = SnapshotStatus.Building,
            FsCapacityBytes = sandbox.FsCapacityBytes,
            SourceSandboxId = sandbox.Id,
            TemplateName = sandbox.TemplateName,
            LowerDir = sandbox.LowerDir,
            CreatedAt = now,
            UpdatedAt = now,
            Labels = labels,
            // Its sandboxes run commands as the source did (its snapshot's and its own layers), then as the request says.
            RunConfig = Layer(sandbox.RunConfig, runConfig),
        }, tag);
        Track(record.Id, Task.Run(async () =>
        {
            try
            {
                await sandboxes.WithLockAsync(sandbox.Id, async current =>
                {
                    var running = current.Status is SandboxStatus.Ready or SandboxStatus.Paused;
                    // The freeze is journalled: a server killed during the copy thaws the sandbox at its next start.
                    await files.CaptureUpperAsync(current.Id, record.Id, running, CancellationToken.None,
                        freezing: () => freezeRows.MarkSnapshotFreeze(current.Id, record.Id, Now),
                        thawed: () => freezeRows.ClearSnapshotFreeze(current.Id));
                    return true;
                });
                Finish(record.Id, null);
            }
            catch (Exception e)
            {
                log.LogError(e, "snapshot {Name} of sandbox {Sandbox} failed", record.Name, sandbox.Name);
                Finish(record.Id, $"capture failed: {e.Message}");
            }
        }));
        return record;
    }

    // ---------------------------------------------------------------- images

    /// <summary>
    /// <c>POST /snapshots</c>: a built-in name (<c>python</c>, <c>base</c>) is ready at once; a local image (an absolute
    /// path to an OCI layout or archive) is unpacked in the background, the snapshot <c>building</c> meanwhile; anything
    /// else is a registry reference, and the snapshot is <c>failed</c> at once saying that this server pulls nothing.
    /// </summary>
    public SnapshotRecord Import(ImportSnapshotRequest request)
    {
        var (name, image, capacity, tag, labels, registryId, runConfig) = request;
        var now = Now;
        var record = new SnapshotRecord
        {
            Id = Guid.NewGuid().ToString(),
            Name = name,
            Kind = SnapshotKind.Image,
            Status = SnapshotStatus.Building,
            FsCapacityBytes = capacity,
            DockerImage = image,
            CreatedAt = now,
            UpdatedAt = now,
            Labels = labels,
            RegistryId = registryId,
            RunConfig = runConfig,
        };
        if (registryId is null && TemplateCatalog.BuiltIns.ContainsKey(image))
            return Insert(record with { Kind = SnapshotKind.BuiltIn, Status = SnapshotStatus.Ready, TemplateName = image, LowerDir = TemplateCatalog.LowerDir(TemplateCatalog.HostImage) }, tag);
        if (registryId is not null || !ImageImporter.LooksLocal(image))
            return Insert(record with
            {
                Status = SnapshotStatus.Failed,
                StatusMessage = $"'{image}' is a registry reference{(registryId is null ? "" : $" (registry {registryId})")}: the local server pulls no images. " +
                                $"Give a built-in ({string.Join(", ", TemplateCatalog.BuiltIns.Keys)}) or {ImageImporter.LocalForms}",
            }, tag);
        if (!ImageImporter.LooksImportable(image, out var given) || ImageImporter.AllowedPath(given, options.ImageDirs) is not { } path)
            throw new RejectedException("ImageNotFound", $"'{image}': {ImageImporter.SupportedForms}{(options.ImageDirs.Count > 0 ? $", within {string.Join(", ", options.ImageDirs)}" : "")}");
        record = Insert(record, tag);
        Track(record.Id, Task.Run(() =>
        {
            var scratch = Path.Combine(files.SnapshotDir(record.Id), "archive");
            try
            {
                SnapshotRuntime.Reset(files.FilesDir(record.Id));
                var imageConfig = ImageImporter.Import(path, files.FilesDir(record.Id), scratch, CancellationToken.None);
                SnapshotRuntime.RemoveTree(scratch);
                // The image's USER, WORKDIR and ENV are the bottom layer, the request's run_config over them.
                if (Layer(imageConfig, runConfig) is { } resolved && snapshotRows.GetSnapshot(record.Id) is { } current) Save(current with { RunConfig = resolved });
                Finish(record.Id, null);
            }
            catch (Exception e)
            {
                log.LogError(e, "importing {Image} into snapshot {Name} failed", image, record.Name);
                try { SnapshotRuntime.RemoveTree(scratch); } catch (IOException) { }
                Finish(record.Id, $"import failed: {e.Message}");
            }
        }));
        return record;
    }

    /// <summary><paramref name="over"/> on <paramref name="under"/>; either may be absent.</summary>
    private static RunConfigRecord? Layer(RunConfigRecord? under, RunConfigRecord? over) => under is null ? over : under.Merge(over);

    /// <summary>Waits for a capture or import of <paramref name="id"/> to end (at once when none runs), then reads the snapshot.</summary>
    public async Task<SnapshotRecord> WhenDoneAsync(string id)
    {
        if (_work.TryGetValue(id, out var work)) await work;
        return snapshotRows.GetSnapshot(id) ?? throw NotFound(id);
    }

    private void Track(string id, Task task)
    {
        _work[id] = task;
        _ = task.ContinueWith(_ => _work.TryRemove(id, out var _), TaskScheduler.Default);
    }

    /// <summary>Records the end of a capture or import; a failure's files are removed; a snapshot deleted meanwhile is collected.</summary>
    private void Finish(string id, string? error)
    {
        if (snapshotRows.GetSnapshot(id) is not { } record) return;
        if (error is not null)
        {
            try { files.Remove(id); } catch (IOException e) { log.LogWarning("removing failed snapshot {Id}: {Error}", id, e.Message); }
            Save(record with { Status = SnapshotStatus.Failed, StatusMessage = error });
        }
        else
        {
            Save(record with { Status = SnapshotStatus.Ready, StatusMessage = null, FsUsedBytes = SnapshotRuntime.BytesUsed(files.FilesDir(id)) });
        }
        if (record.Deleted) _ = CollectAsync();
    }

    // ---------------------------------------------------------------- sandboxes from snapshots

    /// <summary>
    /// Resolves <c>snapshot_id</c> of a sandbox create: 404 <c>SnapshotNotFound</c>, 400 <c>NotReady</c> while it is not
    /// ready. The snapshot's files stay on disk until <see cref="Release"/>.
    /// </summary>
    public SnapshotLaunch Launch(string snapshotId)
    {
        _pins.AddOrUpdate(snapshotId, 1, (_, n) => n + 1);
        try
        {
            var s = Get(snapshotId);
            if (s.Status != SnapshotStatus.Ready)
                throw new RejectedException("NotReady", $"snapshot '{s.Name}' is {s.Status}{(s.StatusMessage is null ? "" : $" ({s.StatusMessage})")}; a sandbox can start only from a ready snapshot");
            var launch = s.Kind switch
            {
                SnapshotKind.Image => new SnapshotLaunch(s.Id, "", files.FilesDir(s.Id), CopiesUpper: false),
                SnapshotKind.BuiltIn => new SnapshotLaunch(s.Id, "", s.LowerDir ?? "/", CopiesUpper: false, TemplateCatalog.BuiltIn(s.DockerImage!, "", DateTime.UnixEpoch)),
                _ => new SnapshotLaunch(s.Id, s.TemplateName ?? "", s.LowerDir ?? "/", CopiesUpper: true),
            };
            return launch with { RunConfig = s.RunConfig };
        }
        catch
        {
            Release(snapshotId);
            throw;
        }
    }

    /// <summary>Before a sandbox's first boot: its upper layer gets the snapshot's captured files.</summary>
    public async Task PrepareAsync(SnapshotLaunch launch, string sandboxId)
    {
        if (launch.CopiesUpper) await files.PopulateUpperAsync(launch.SnapshotId, sandboxId, CancellationToken.None);
    }

    /// <summary>Ends the hold of <see cref="Launch"/>; a snapshot deleted meanwhile is collected.</summary>
    public void Release(string snapshotId)
    {
        if (_pins.AddOrUpdate(snapshotId, 0, (_, n) => Math.Max(0, n - 1)) == 0)
        {
            _pins.TryRemove(new KeyValuePair<string, int>(snapshotId, 0));
            if (snapshotRows.GetSnapshot(snapshotId) is { Deleted: true }) _ = CollectAsync();
        }
    }

    /// <summary>The resources of a sandbox from a snapshot whose template is gone (or an image).</summary>
    public static TemplateRecord DefaultTemplate(string name) => new()
    {
        Id = "",
        Name = name,
        Image = "snapshot",
        Cpu = "1",
        Memory = "512Mi",
        CreatedAt = DateTime.UnixEpoch,
        UpdatedAt = DateTime.UnixEpoch,
    };

    // ---------------------------------------------------------------- deletion

    /// <summary>Deletes a snapshot for the API at once; its files go now or once nothing uses them.</summary>
    public async Task DeleteAsync(string id)
    {
        var record = Get(id);
        Save(record with { Deleted = true });
        await CollectAsync();
    }

    /// <summary>Removes the files and rows of deleted snapshots that nothing uses any more.</summary>
    public async Task CollectAsync()
    {
        await _collect.WaitAsync();
        try
        {
            foreach (var s in snapshotRows.AllSnapshots().Where(s => s.Deleted))
            {
                if (_work.ContainsKey(s.Id) || _pins.ContainsKey(s.Id)) continue;
                if (snapshotRows.DirectoryInUse(files.SnapshotDir(s.Id), s.Id)) continue;
                try
                {
                    files.Remove(s.Id);
                    snapshotRows.DeleteSnapshotRow(s.Id);
                    log.LogInformation("removed the files of deleted snapshot {Name} ({Id})", s.Name, s.Id);
                }
                catch (Exception e)
                {
                    log.LogWarning("could not remove deleted snapshot {Id}: {Error}", s.Id, e.Message);
                }
            }
        }
        finally
        {
            _collect.Release();
        }
    }

    /// <summary>At start-up: captures and imports cut short by a stop fail; directories the state does not know go.</summary>
    public async Task ReconcileAsync()
    {
        var all = snapshotRows.AllSnapshots();
        foreach (var s in all.Where(s => s.Status == SnapshotStatus.Building))
        {
            files.KillLeftoverCopies(s.Id);
            try { files.Remove(s.Id); } catch (IOException) { }
            Save(s with { Status = SnapshotStatus.Failed, StatusMessage = "the server stopped before the snapshot was complete; take it again" });
        }
        var known = all.Select(s => s.Id).ToHashSet();
        foreach (var id in files.ExistingIds().Where(id => !known.Contains(id)).ToList())
            try { files.Remove(id); } catch (IOException e) { log.LogWarning("could not remove leftover snapshot dir {Id}: {Error}", id, e.Message); }
        await CollectAsync();
    }
}

/// <summary>Periodic collection of deleted snapshots whose last sandbox is gone (start-up reconciliation is in Program).</summary>
public sealed class SnapshotCollector(SnapshotService snapshots, ILogger<SnapshotCollector> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await snapshots.CollectAsync();
                }
                catch (Exception e)
                {
                    log.LogError(e, "collecting deleted snapshots");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
