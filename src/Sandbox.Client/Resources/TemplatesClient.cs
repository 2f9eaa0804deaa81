using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>Templates (<c>client.Templates</c>): the image and resources sandboxes are created from.</summary>
public sealed class TemplatesClient : RenamableResourceClient<SandboxTemplate>
{
    internal TemplatesClient(SandboxTransport transport) : base(transport, SandboxResourceKind.Template)
    {
    }

    /// <summary>Creates a template (<c>POST /templates</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The name is taken.</exception>
    /// <exception cref="SandboxNotSupportedException">The server does not support what was asked (e.g. volume mounts locally).</exception>
    public Task<SandboxTemplate> CreateAsync(CreateTemplateRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(Dialect.CreateTemplate(request), request.Name, options, cancellationToken);
    }
}
