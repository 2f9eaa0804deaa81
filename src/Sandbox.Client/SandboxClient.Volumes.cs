using System.Text;

namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    // ---------------------------------------------------------------- volumes

    private string VolumesUrl => Settings.ControlPlaneBaseUrl + "/volumes";

    private string VolumeUrl(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return VolumesUrl + "/" + Uri.EscapeDataString(name);
    }

    /// <summary>Creates a volume (<c>POST /volumes</c>). Not retried.</summary>
    /// <param name="name">The name (lowercase letters, digits and hyphens).</param>
    /// <param name="size">The size: a Kubernetes quantity (<c>1Gi</c>) or a number of bytes.</param>
    /// <param name="timeout">The call's time-out.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxNameConflictException">The name is taken (<c>VolumeAlreadyExists</c>).</exception>
    /// <exception cref="SandboxValidationException">A bad name or size (<see cref="SandboxApiException.Field"/> names it).</exception>
    public Task<SandboxVolume> CreateVolumeAsync(string name, string size, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(size);
        return SendJsonAsync<SandboxVolume>(HttpMethod.Post, VolumesUrl, new { name, size, wait_for_ready = true }, retryable: false, name, timeout, cancellationToken);
    }

    /// <summary>Gets a volume by name.</summary>
    /// <exception cref="SandboxNotFoundException">No such volume (<see cref="SandboxApiException.ErrorType"/> <c>VolumeNotFound</c>).</exception>
    public Task<SandboxVolume> GetVolumeAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<SandboxVolume>(HttpMethod.Get, VolumeUrl(name), null, retryable: true, name, timeout, cancellationToken);

    /// <summary>Lists one page of volumes.</summary>
    public Task<SandboxPage<SandboxVolume>> ListVolumesAsync(int? limit = null, int? offset = null, string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ListPageAsync<SandboxVolume>(VolumesUrl, "volumes", limit, offset, nameContains, timeout, cancellationToken);

    /// <summary>Every volume whose name contains <paramref name="nameContains"/>, following the pages.</summary>
    public IAsyncEnumerable<SandboxVolume> ListAllVolumesAsync(string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FollowPagesAsync(offset => ListVolumesAsync(SandboxDefaults.PageSize, offset, nameContains, timeout, cancellationToken), cancellationToken);

    /// <summary>Volumes by name or wildcard pattern, with the same rules as <see cref="FindSandboxesAsync"/>.</summary>
    public Task<IReadOnlyList<SandboxVolume>> FindVolumesAsync(string? namePattern = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FindByNameAsync(namePattern, name => GetVolumeAsync(name, timeout, cancellationToken), contains => ListAllVolumesAsync(contains, timeout, cancellationToken), v => v.Name);

    /// <summary>Grows a volume (<c>PATCH /volumes/{name}</c> with <c>size</c>). Not retried.</summary>
    /// <exception cref="SandboxValidationException">A smaller size (<c>ResizeError</c>) or a bad one.</exception>
    /// <exception cref="SandboxResourceInUseException">The server cannot grow it while sandboxes use it (<c>VolumeInUse</c>).</exception>
    public Task<SandboxVolume> ResizeVolumeAsync(string name, string size, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(size);
        return SendJsonAsync<SandboxVolume>(HttpMethod.Patch, VolumeUrl(name), new { size }, retryable: false, name, timeout, cancellationToken);
    }

    /// <summary>Renames a volume (<c>PATCH /volumes/{name}</c> with <c>name</c>); templates that mount it follow. Not retried.</summary>
    public Task<SandboxVolume> RenameVolumeAsync(string name, string newName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        return SendJsonAsync<SandboxVolume>(HttpMethod.Patch, VolumeUrl(name), new { name = newName }, retryable: false, name, timeout, cancellationToken);
    }

    /// <summary>Deletes a volume and its data.</summary>
    /// <exception cref="SandboxResourceInUseException">A template mounts it (<c>VolumeInUse</c>).</exception>
    public Task DeleteVolumeAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, VolumeUrl(name), name, timeout, cancellationToken);

}
