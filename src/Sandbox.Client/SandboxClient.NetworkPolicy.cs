namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    /// <summary>
    /// Changes a sandbox's outbound network policy (<c>PATCH /boxes/{name}</c> with <c>network_policy</c>, extension).
    /// A running sandbox gets it at once; a stopped one at its next start.
    /// </summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    /// <exception cref="SandboxValidationException">The server rejected the policy (422 naming the field).</exception>
    public Task<Sandbox> SetNetworkPolicyAsync(string name, SandboxNetworkPolicy policy, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return UpdateSandboxAsync(name, new UpdateSandboxRequest { NetworkPolicy = policy }, timeout, cancellationToken);
    }
}
