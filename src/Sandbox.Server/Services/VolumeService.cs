using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Volumes: validation, the state in SQLite and the images on the host kept in step, template mounts, and the binds a
/// sandbox gets at boot. Changes are serialised by one lock (volume operations are rare and short). As a hosted service it
/// removes leftover images at start-up and releases its host mounts and loop devices at shutdown.
/// </summary>
public sealed class VolumeService(TemplateRepository templateRows, VolumeRepository volumeRows, VolumeRuntime runtime, TimeProvider clock, ILogger<VolumeService> log) : IHostedService
{
    public const string StorageClass = "local";
    public const long MinSizeBytes = 8L << 20;
    public const long MaxSizeBytes = 1L << 40;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static DomainException NotFound(string name) => new NotFoundException("VolumeNotFound", $"volume '{name}' not found");

    public VolumeRecord Get(string name) => volumeRows.GetVolume(name) ?? throw NotFound(name);

    public List<VolumeRecord> List(int limit, int offset, string? nameContains) => volumeRows.ListVolumes(limit, offset, nameContains);

    public async Task<VolumeRecord> CreateAsync(CreateVolumeRequest request, CancellationToken ct)
    {
        var (name, size) = request;
        await _gate.WaitAsync(ct);
        try
        {
            if (volumeRows.GetVolume(name) is not null) throw Exists(name);
            var now = Now;
            var record = new VolumeRecord { Id = Guid.NewGuid().ToString(), Name = name, SizeBytes = size, StorageClass = StorageClass, CreatedAt = now, UpdatedAt = now };
            // The image first: a server killed before the insert leaves a file that the start-up sweep removes.
            await runtime.CreateAsync(record.Id, record.SizeBytes, ct);
            try
            {
                volumeRows.InsertVolume(record);
            }
            catch (NameTakenException)
            {
                await runtime.DestroyAsync(record.Id, CancellationToken.None);
                throw Exists(name);
            }
            return record;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static DomainException Exists(string name) => new ConflictException("VolumeAlreadyExists", $"volume '{name}' already exists");

    /// <summary>PATCH: <c>name</c> and/or <c>size</c> (increases only; a shrink is 400 <c>ResizeError</c> and changes nothing).</summary>
    public async Task<VolumeRecord> UpdateAsync(string name, UpdateVolumeRequest request, CancellationToken ct)
    {
        var (newName, size) = request;
        await _gate.WaitAsync(ct);
        try
        {
            var record = Get(name);
            if (size is { } wanted && wanted < record.SizeBytes)
                throw new RejectedException("ResizeError", $"volume '{name}' is {Quantity.FormatBytes(record.SizeBytes)}; volumes only grow, and {Quantity.FormatBytes(wanted)} is smaller");
            if (newName is not null && newName != name && volumeRows.GetVolume(newName) is not null) throw Exists(newName);
            if (size is { } grow && grow > record.SizeBytes)
            {
                var users = volumeRows.RunningSandboxesUsingVolume(record.Name);
                try
                {
                    var how = await runtime.GrowAsync(record.Id, record.SizeBytes, grow, mayUnmount: users.Count == 0, ct);
                    log.LogInformation("volume {Name} grown {How} to {Size}", record.Name, how, Quantity.FormatBytes(grow));
                }
                catch (VolumeOperationException e) when (users.Count > 0)
                {
                    throw new ConflictException("VolumeInUse", $"volume '{name}' cannot grow while sandboxes use it ({string.Join(", ", users)}): {e.Message}");
                }
                catch (VolumeOperationException e)
                {
                    throw new RejectedException("ResizeError", $"volume '{name}' could not grow: {e.Message}");
                }
                volumeRows.UpdateVolumeSize(record.Id, grow, Now);
            }
            if (newName is not null && newName != name)
            {
                try
                {
                    volumeRows.RenameVolume(name, newName, Now);
                }
                catch (NameTakenException)
                {
                    throw Exists(newName);
                }
                return Get(newName);
            }
            return Get(name);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var record = Get(name);
            var templates = volumeRows.TemplatesMountingVolume(name);
            if (templates.Count > 0)
                throw new ConflictException("VolumeInUse", $"volume '{name}' is mounted by templates {string.Join(", ", templates)}; delete them first");
            await runtime.DestroyAsync(record.Id, ct);
            volumeRows.DeleteVolume(record.Id);
        }
        finally
        {
            _gate.Release();
        }
    }

    // ---- templates ----

    /// <summary>400 <c>VolumeNotFound</c> when a mount names a volume that does not exist.</summary>
    public static void RequireVolumes(VolumeRepository volumeRows, IEnumerable<VolumeMount> mounts)
    {
        foreach (var m in mounts)
            if (volumeRows.GetVolume(m.VolumeName) is null)
                throw new RejectedException("VolumeNotFound", $"volume '{m.VolumeName}' not found (volume_mounts)");
    }

    // ---- sandboxes ----

    /// <summary>The binds a sandbox of <paramref name="templateName"/> gets, with each volume mounted on the host first.</summary>
    public async Task<IReadOnlyList<BindMount>> PrepareBindsAsync(string templateName, CancellationToken ct)
    {
        var template = templateRows.GetTemplate(templateName);
        if (template is null || template.VolumeMounts.Count == 0) return [];
        await _gate.WaitAsync(ct);
        try
        {
            var binds = new List<BindMount>();
            foreach (var m in template.VolumeMounts)
            {
                var volume = volumeRows.GetVolume(m.VolumeName) ?? throw new InvalidOperationException($"volume '{m.VolumeName}' of template '{templateName}' does not exist");
                await runtime.EnsureMountedAsync(volume.Id, ct);
                binds.Add(new BindMount(runtime.MountDir(volume.Id), m.MountPath));
            }
            return binds;
        }
        finally
        {
            _gate.Release();
        }
    }

    // ---- start-up and shutdown ----

    public async Task StartAsync(CancellationToken cancellationToken) =>
        await runtime.SweepOrphansAsync(volumeRows.AllVolumes().Select(v => v.Id).ToHashSet());

    /// <summary>Releases the host mounts and loop devices; sandboxes still running keep their own mount (and the device) alive.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var v in volumeRows.AllVolumes())
        {
            try
            {
                await runtime.UnmountAsync(v.Id, CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogWarning("could not unmount volume {Name}: {Error}", v.Name, e.Message);
            }
        }
    }
}
