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

    /// <summary>Changes a registry's address or credentials (<c>PATCH /registries/{name}</c>); rename with <see cref="RenamableResourceClient{T}.RenameAsync"/>. Not retried.</summary>
    /// <exception cref="SandboxNotFoundException">No registry has that name.</exception>
    /// <exception cref="SandboxValidationException">A bad address or credential (<see cref="SandboxApiException.Field"/> names it).</exception>
    public Task<SandboxRegistry> UpdateAsync(string name, UpdateRegistryRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(request);
        if (request.IsEmpty) throw new ArgumentException("nothing to change: give a new Url, Username or Password", nameof(request));
        return UpdateCoreAsync(name, request, options, cancellationToken);
    }
}
