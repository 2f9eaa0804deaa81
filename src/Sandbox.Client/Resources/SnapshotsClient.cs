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

    /// <summary>Starts capturing a sandbox's filesystem (<c>POST /boxes/{name}/snapshot</c>). Not retried. The snapshot is usually <c>provisioning</c>: see <see cref="WaitForReadyAsync"/>.</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    /// <exception cref="SandboxNameConflictException">A snapshot has the name (<c>SnapshotAlreadyExists</c>).</exception>
    public Task<SandboxSnapshot> StartAsync(string sandboxName, string snapshotName, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotName);
        return SendAsync(Dialect.SnapshotSandbox(sandboxName, snapshotName), sandboxName, options, cancellationToken);
    }

    /// <summary>Captures a sandbox's filesystem and waits until the snapshot is ready.</summary>
    /// <param name="sandboxName">The sandbox.</param>
    /// <param name="snapshotName">The snapshot's name.</param>
    /// <param name="options">The wait's deadline and a receiver of each polled state.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxSnapshotFailedException">The capture failed.</exception>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    public async Task<SandboxSnapshot> CreateAsync(string sandboxName, string snapshotName, SandboxProgressOptions<SandboxSnapshot>? options = null, CancellationToken cancellationToken = default)
    {
        var started = await StartAsync(sandboxName, snapshotName, null, cancellationToken).ConfigureAwait(false);
        options?.Progress?.Report(started);
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
