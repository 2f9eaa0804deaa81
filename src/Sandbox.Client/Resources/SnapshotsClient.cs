using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// Snapshots (<c>client.Snapshots</c>): captured filesystems that sandboxes start from. Their key is the id; names are not
/// unique, so <see cref="IResourceClient{T}.FindAsync"/> lists even for a name without wildcards, and throws
/// <see cref="SandboxNotFoundException"/> (<c>SnapshotNotFound</c>) when none has it.
/// </summary>
public sealed class SnapshotsClient : ResourceClient<SandboxSnapshot>
{
    internal SnapshotsClient(SandboxTransport transport) : base(transport, SandboxResourceKind.Snapshot)
    {
    }

    private protected override bool NamesAreKeys => false;

    /// <summary>Starts capturing a sandbox's filesystem (<c>POST /boxes/{name}/snapshot</c>). Not retried. The snapshot is usually <c>building</c> (older servers: <c>provisioning</c>): see <see cref="WaitForReadyAsync"/>.</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public Task<SandboxSnapshot> StartAsync(string sandboxName, string snapshotName, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(sandboxName, new CaptureSnapshotRequest { Name = snapshotName }, options, cancellationToken);

    /// <summary>Starts capturing a sandbox's filesystem with a tag and labels (<c>POST /boxes/{name}/snapshot</c>); <c>name:tag</c> points at it at once. Not retried.</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    /// <exception cref="SandboxValidationException">A bad name, tag or label (422 naming the field).</exception>
    public Task<SandboxSnapshot> StartAsync(string sandboxName, CaptureSnapshotRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name);
        return SendAsync(Dialect.SnapshotSandbox(sandboxName, request), sandboxName, options, cancellationToken);
    }

    /// <summary>Captures a sandbox's filesystem and waits until the snapshot is ready.</summary>
    /// <param name="sandboxName">The sandbox.</param>
    /// <param name="snapshotName">The snapshot's name.</param>
    /// <param name="options">The wait's deadline and a receiver of each polled state.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxSnapshotFailedException">The capture failed.</exception>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    public Task<SandboxSnapshot> CreateAsync(string sandboxName, string snapshotName, SandboxProgressOptions<SandboxSnapshot>? options = null, CancellationToken cancellationToken = default) =>
        CreateAsync(sandboxName, new CaptureSnapshotRequest { Name = snapshotName }, options, cancellationToken);

    /// <summary>Captures a sandbox's filesystem (with a tag and labels) and waits until the snapshot is ready.</summary>
    /// <exception cref="SandboxSnapshotFailedException">The capture failed.</exception>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    public async Task<SandboxSnapshot> CreateAsync(string sandboxName, CaptureSnapshotRequest request, SandboxProgressOptions<SandboxSnapshot>? options = null, CancellationToken cancellationToken = default)
    {
        var started = await StartAsync(sandboxName, request, null, cancellationToken).ConfigureAwait(false);
        options?.Progress?.Report(started);
        if (started.IsReady) return started; // leap0 answers once the snapshot is stored: nothing to poll
        return await WaitForReadyAsync(started.Id, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a snapshot from an image (<c>POST /snapshots</c>). Not retried.</summary>
    /// <exception cref="SandboxNotSupportedException">The server cannot import that image (the local server takes local OCI layouts and docker save tarballs).</exception>
    public Task<SandboxSnapshot> StartImportAsync(CreateImageSnapshotRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(Dialect.ImportSnapshot(request), request.Name, options, cancellationToken);
    }

    /// <summary>Imports an image into a snapshot and waits until it is ready.</summary>
    public async Task<SandboxSnapshot> ImportAsync(CreateImageSnapshotRequest request, SandboxProgressOptions<SandboxSnapshot>? options = null, CancellationToken cancellationToken = default)
    {
        var started = await StartImportAsync(request, null, cancellationToken).ConfigureAwait(false);
        options?.Progress?.Report(started);
        return await WaitForReadyAsync(started.Id, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Snapshots by reference or pattern, and labels. <paramref name="reference"/> is <c>name</c> or <c>name:tag</c>, either
    /// part with wildcards (<c>py*</c>, <c>app:v*</c>); null or empty: every snapshot. A name without a tag names every live
    /// snapshot of that name; with a tag, those the tag resolves to now (see <see cref="SandboxSnapshot.Tags"/>). A reference
    /// without wildcards that matches nothing throws <see cref="SandboxNotFoundException"/> (<c>SnapshotNotFound</c>);
    /// <paramref name="labels"/> filter on the server (<c>label=</c>) and again here.
    /// </summary>
    public async Task<IReadOnlyList<SandboxSnapshot>> FindAsync(string? reference, IDictionary<string, string?>? labels, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var colon = reference?.IndexOf(':') ?? -1;
        var namePattern = colon < 0 ? reference : reference![..colon];
        var tagPattern = colon < 0 ? null : SandboxWildcard.Parse(reference![(colon + 1)..]);
        if (colon == 0 || tagPattern is { LiteralText.Length: 0 })
            throw new ArgumentException($"'{reference}' is not a snapshot reference: use name or name:tag", nameof(reference));
        var query = new SandboxPageQuery { Labels = labels is { Count: > 0 } ? labels : null };
        if (tagPattern is { HasWildcards: false } && !SandboxWildcard.Parse(namePattern!).HasWildcards)
        {
            // name:tag: the server resolves the reference (GET /snapshots/name:tag); the labels are checked here.
            var one = await GetAsync(reference!, options, cancellationToken).ConfigureAwait(false);
            return query.MatchesLabels(one.Labels) ? [one] : [];
        }
        return await FindAsync(namePattern, query,
            s => query.MatchesLabels(s.Labels) && (tagPattern is null || s.Tags.Any(t => tagPattern.IsMatch(t))), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tags of a snapshot name and the snapshot each points at (<c>GET /snapshots-by-name/{name}</c>), in tag order.</summary>
    /// <exception cref="SandboxNotFoundException">No live snapshot has the name (<c>SnapshotNotFound</c>).</exception>
    public Task<SandboxSnapshotName> GetTagsAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Transport.SendJsonAsync<SandboxSnapshotName>(Dialect.SnapshotTags(name), name, options?.Timeout, cancellationToken);
    }

    /// <summary>Polls a snapshot until it is <c>ready</c> (returned) or <c>failed</c> (thrown).</summary>
    /// <exception cref="SandboxSnapshotFailedException">It failed.</exception>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline (<see cref="SandboxDefaults.WaitTimeout"/> by default).</exception>
    public Task<SandboxSnapshot> WaitForReadyAsync(string id, SandboxProgressOptions<SandboxSnapshot>? options = null, CancellationToken cancellationToken = default) =>
        Transport.PollAsync(options?.Timeout, async pollTimeout =>
        {
            var snapshot = await GetAsync(id, SandboxRequestOptions.WithTimeout(pollTimeout), cancellationToken).ConfigureAwait(false);
            options?.Progress?.Report(snapshot);
            return snapshot.Status switch
            {
                SandboxSnapshotStatus.Ready => snapshot,
                SandboxSnapshotStatus.Failed => throw new SandboxSnapshotFailedException(
                    $"snapshot '{snapshot.Name}' failed{(string.IsNullOrEmpty(snapshot.StatusMessage) ? "" : ": " + snapshot.StatusMessage)}", snapshot) { TargetName = snapshot.Name },
                _ => null,
            };
        }, limit => new SandboxTimeoutException($"snapshot '{id}' was not ready within {limit.TotalSeconds:0.#} s", null, "SnapshotTimeout") { TargetName = id }, cancellationToken);
}

/// <summary>A snapshot reached <c>failed</c> while it was awaited.</summary>
public class SandboxSnapshotFailedException(string message, SandboxSnapshot snapshot)
    : SandboxApiException(message, null, "SnapshotFailed")
{
    /// <summary>The snapshot as last seen.</summary>
    public SandboxSnapshot Snapshot { get; } = snapshot;
}
