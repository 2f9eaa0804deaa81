using System.Text;

namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    private string SnapshotsUrl => Settings.ControlPlaneBaseUrl + "/snapshots";

    private string SnapshotUrl(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return SnapshotsUrl + "/" + Uri.EscapeDataString(id);
    }


    /// <summary>Starts capturing a sandbox's filesystem (<c>POST /boxes/{name}/snapshot</c>). Not retried. The snapshot is usually <c>provisioning</c>: see <see cref="WaitForSnapshotAsync"/>.</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    /// <exception cref="SandboxNameConflictException">A snapshot has the name (<c>SnapshotAlreadyExists</c>).</exception>
    public Task<SandboxSnapshot> StartSnapshotAsync(string sandboxName, string snapshotName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotName);
        return SendJsonAsync<SandboxSnapshot>(HttpMethod.Post, BoxUrl(sandboxName) + "/snapshot", new { name = snapshotName }, retryable: false, sandboxName, timeout, cancellationToken);
    }

    /// <summary>Captures a sandbox's filesystem and waits until the snapshot is ready.</summary>
    /// <exception cref="SandboxSnapshotFailedException">The capture failed.</exception>
    /// <exception cref="SandboxTimeoutException">Not ready within <paramref name="waitTimeout"/>.</exception>
    public async Task<SandboxSnapshot> CreateSnapshotAsync(string sandboxName, string snapshotName, TimeSpan? waitTimeout = null, IProgress<SandboxSnapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = await StartSnapshotAsync(sandboxName, snapshotName, null, cancellationToken).ConfigureAwait(false);
        progress?.Report(started);
        return await WaitForSnapshotAsync(started.Id, waitTimeout, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a snapshot from an image (<c>POST /snapshots</c>). Not retried.</summary>
    /// <exception cref="SandboxNotSupportedException">The server cannot import that image (the local server takes local OCI layouts and docker save tarballs).</exception>
    public Task<SandboxSnapshot> StartImageSnapshotAsync(CreateImageSnapshotRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendJsonAsync<SandboxSnapshot>(HttpMethod.Post, SnapshotsUrl, request, retryable: false, request.Name, timeout, cancellationToken);
    }

    /// <summary>Imports an image into a snapshot and waits until it is ready.</summary>
    public async Task<SandboxSnapshot> CreateImageSnapshotAsync(CreateImageSnapshotRequest request, TimeSpan? waitTimeout = null, IProgress<SandboxSnapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = await StartImageSnapshotAsync(request, null, cancellationToken).ConfigureAwait(false);
        progress?.Report(started);
        return await WaitForSnapshotAsync(started.Id, waitTimeout, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets a snapshot by id (<c>GET /snapshots/{id}</c>).</summary>
    /// <exception cref="SandboxNotFoundException">No such snapshot (<see cref="SandboxApiException.ErrorType"/> <c>SnapshotNotFound</c>).</exception>
    public Task<SandboxSnapshot> GetSnapshotAsync(string id, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<SandboxSnapshot>(HttpMethod.Get, SnapshotUrl(id), null, retryable: true, id, timeout, cancellationToken);

    /// <summary>Lists one page of snapshots.</summary>
    public Task<SandboxPage<SandboxSnapshot>> ListSnapshotsAsync(int? limit = null, int? offset = null, string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ListPageAsync<SandboxSnapshot>(SnapshotsUrl, "snapshots", limit, offset, nameContains, timeout, cancellationToken);

    /// <summary>Every snapshot whose name contains <paramref name="nameContains"/>, following the pages.</summary>
    public IAsyncEnumerable<SandboxSnapshot> ListAllSnapshotsAsync(string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FollowPagesAsync(offset => ListSnapshotsAsync(SandboxDefaults.PageSize, offset, nameContains, timeout, cancellationToken), cancellationToken);

    /// <summary>
    /// Snapshots by name or wildcard pattern: null, empty or <c>*</c> lists all; a pattern matches locally (none is an empty
    /// list). Names are not unique keys of snapshots, so a name without wildcards that matches nothing throws
    /// <see cref="SandboxNotFoundException"/> (<c>SnapshotNotFound</c>).
    /// </summary>
    public async Task<IReadOnlyList<SandboxSnapshot>> FindSnapshotsAsync(string? namePattern = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var pattern = string.IsNullOrEmpty(namePattern) ? null : SandboxWildcard.Parse(namePattern);
        var literal = pattern is { HasWildcards: false } ? pattern.LiteralText : pattern?.LongestLiteral;
        var result = new List<SandboxSnapshot>();
        await foreach (var s in ListAllSnapshotsAsync(literal is { Length: > 0 } l ? l : null, timeout, cancellationToken).ConfigureAwait(false))
            if (pattern is null || (pattern.HasWildcards ? pattern.IsMatch(s.Name) : s.Name == pattern.LiteralText)) result.Add(s);
        if (pattern is { HasWildcards: false } && result.Count == 0)
            throw new SandboxNotFoundException($"snapshot '{pattern.LiteralText}' not found", 404, "SnapshotNotFound") { TargetName = namePattern };
        return result;
    }

    /// <summary>Deletes a snapshot (<c>DELETE /snapshots/{id}</c>); sandboxes started from it keep working.</summary>
    /// <exception cref="SandboxNotFoundException">No such snapshot.</exception>
    public Task DeleteSnapshotAsync(string id, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, SnapshotUrl(id), id, timeout, cancellationToken);

    /// <summary>Creates a sandbox from a snapshot (<c>POST /boxes</c> with <c>snapshot_id</c>).</summary>
    public Task<Sandbox> CreateSandboxFromSnapshotAsync(string snapshotId, string? name = null, bool waitForReady = true, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotId);
        return CreateSandboxAsync(new CreateSandboxRequest { SnapshotId = snapshotId, Name = name, WaitForReady = waitForReady }, null, cancellationToken);
    }

    /// <summary>Polls a snapshot until it is <c>ready</c> (returned) or <c>failed</c> (thrown).</summary>
    /// <exception cref="SandboxSnapshotFailedException">It failed.</exception>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline (<see cref="SandboxDefaults.WaitTimeout"/> by default).</exception>
    public async Task<SandboxSnapshot> WaitForSnapshotAsync(string id, TimeSpan? timeout = null, IProgress<SandboxSnapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? SandboxDefaults.WaitTimeout;
        var deadline = DateTime.UtcNow + limit;
        var interval = Options.PollInterval;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                throw new SandboxTimeoutException($"snapshot '{id}' was not ready within {limit.TotalSeconds:0.#} s", null, "SnapshotTimeout") { TargetName = id };
            var snapshot = await GetSnapshotAsync(id, Min(remaining, Options.DefaultTimeout), cancellationToken).ConfigureAwait(false);
            progress?.Report(snapshot);
            if (snapshot.Status == SandboxSnapshotStatus.Ready) return snapshot;
            if (snapshot.Status == SandboxSnapshotStatus.Failed)
                throw new SandboxSnapshotFailedException($"snapshot '{snapshot.Name}' failed{(string.IsNullOrEmpty(snapshot.StatusMessage) ? "" : ": " + snapshot.StatusMessage)}", snapshot) { TargetName = snapshot.Name };
            remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) continue;
            await Options.Delay(Min(interval, remaining), cancellationToken).ConfigureAwait(false);
            interval = Min(TimeSpan.FromTicks((long)(interval.Ticks * 1.5)), Options.MaxPollInterval);
        }
    }
}

/// <summary>A snapshot reached <c>failed</c> while it was awaited.</summary>
public class SandboxSnapshotFailedException(string message, SandboxSnapshot snapshot)
    : SandboxApiException(message, null, "SnapshotFailed")
{
    /// <summary>The snapshot as last seen.</summary>
    public SandboxSnapshot Snapshot { get; } = snapshot;
}
