using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>Volumes (<c>client.Volumes</c>): persistent storage that templates mount.</summary>
public sealed class VolumesClient : RenamableResourceClient<SandboxVolume>
{
    internal VolumesClient(SandboxTransport transport) : base(transport, SandboxResourceKind.Volume)
    {
    }

    /// <summary>Creates a volume (<c>POST /volumes</c>). Not retried.</summary>
    /// <param name="name">The name (lowercase letters, digits and hyphens).</param>
    /// <param name="size">The size: a Kubernetes quantity (<c>1Gi</c>) or a number of bytes.</param>
    /// <param name="options">The call's time-out.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxNameConflictException">The name is taken (<c>VolumeAlreadyExists</c>).</exception>
    /// <exception cref="SandboxValidationException">A bad name or size (<see cref="SandboxApiException.Field"/> names it).</exception>
    public Task<SandboxVolume> CreateAsync(string name, string size, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(size);
        return SendAsync(Dialect.CreateVolume(name, size), name, options, cancellationToken);
    }

    /// <summary>Grows a volume (<c>PATCH /volumes/{name}</c> with <c>size</c>). Not retried.</summary>
    /// <exception cref="SandboxValidationException">A smaller size (<c>ResizeError</c>) or a bad one.</exception>
    /// <exception cref="SandboxResourceInUseException">The server cannot grow it while sandboxes use it (<c>VolumeInUse</c>).</exception>
    public Task<SandboxVolume> ResizeAsync(string name, string size, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(size);
        return SendAsync(Dialect.ResizeVolume(name, size), name, options, cancellationToken);
    }
}
