using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// Container registries (<c>client.Registries</c>, the current generation's <c>/registries</c>): a name, an address and
/// the credentials that image snapshots (<see cref="CreateImageSnapshotRequest.RegistryId"/>) are pulled with. No answer
/// ever carries the password or the username.
/// </summary>
public sealed class RegistriesClient : RenamableResourceClient<SandboxRegistry>
{
    internal RegistriesClient(SandboxTransport transport) : base(transport, SandboxResourceKind.Registry)
    {
    }

    /// <summary>Stores a registry's credentials (<c>POST /registries</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The name is taken (<c>RegistryAlreadyExists</c>).</exception>
    /// <exception cref="SandboxValidationException">A bad name, address or credential (<see cref="SandboxApiException.Field"/> names it).</exception>
    public Task<SandboxRegistry> CreateAsync(CreateRegistryRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name);
        ArgumentException.ThrowIfNullOrEmpty(request.Url);
        return SendAsync(Dialect.CreateRegistry(request), request.Name, options, cancellationToken);
    }
}
