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
    /// <exception cref="SandboxNotFoundException">No such volume (<see cref="SandboxApiException.ErrorId"/> <c>VolumeNotFound</c>).</exception>
    public Task<SandboxVolume> GetVolumeAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<SandboxVolume>(HttpMethod.Get, VolumeUrl(name), null, retryable: true, name, timeout, cancellationToken);

    /// <summary>Lists one page of volumes.</summary>
    public async Task<SandboxPage<SandboxVolume>> ListVolumesAsync(int? limit = null, int? offset = null, string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var url = new StringBuilder(VolumesUrl);
        var sep = '?';
        void Add(string key, string? value)
        {
            if (value is null) return;
            url.Append(sep).Append(key).Append('=').Append(Uri.EscapeDataString(value));
            sep = '&';
        }
        Add("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("offset", offset?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("name_contains", string.IsNullOrEmpty(nameContains) ? null : nameContains);
        var page = await SendJsonAsync<VolumeListResponse>(HttpMethod.Get, url.ToString(), null, retryable: true, null, timeout, cancellationToken).ConfigureAwait(false);
        var items = page.Volumes ?? [];
        return new SandboxPage<SandboxVolume>(items, page.Offset ?? (offset ?? 0) + items.Count);
    }

    /// <summary>Every volume whose name contains <paramref name="nameContains"/>, following the pages.</summary>
    public async IAsyncEnumerable<SandboxVolume> ListAllVolumesAsync(string? nameContains = null, TimeSpan? timeout = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var offset = 0;
        for (var pages = 0; pages < 1_000_000 / SandboxDefaults.PageSize + 1; pages++)
        {
            var page = await ListVolumesAsync(SandboxDefaults.PageSize, offset, nameContains, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var v in page.Items) yield return v;
            if (page.Items.Count < SandboxDefaults.PageSize || page.NextOffset <= offset) yield break;
            offset = page.NextOffset;
        }
    }

    /// <summary>Volumes by name or wildcard pattern, with the same rules as <see cref="FindSandboxesAsync"/>.</summary>
    public async Task<IReadOnlyList<SandboxVolume>> FindVolumesAsync(string? namePattern = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var pattern = string.IsNullOrEmpty(namePattern) ? null : SandboxWildcard.Parse(namePattern);
        if (pattern is { HasWildcards: false })
            return [await GetVolumeAsync(pattern.LiteralText!, timeout, cancellationToken).ConfigureAwait(false)];
        var result = new List<SandboxVolume>();
        await foreach (var v in ListAllVolumesAsync(pattern?.LongestLiteral is { Length: > 0 } l ? l : null, timeout, cancellationToken).ConfigureAwait(false))
            if (pattern is null || pattern.IsMatch(v.Name)) result.Add(v);
        return result;
    }

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

    private sealed class VolumeListResponse
    {
        public List<SandboxVolume>? Volumes { get; set; }
        public int? Offset { get; set; }
    }
}
