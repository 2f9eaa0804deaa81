namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Changes the outbound network policy of sandboxes: deny-all, allow-all, or custom with allowed CIDRs and domains.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "SandboxNetworkPolicy", HelpUri = HelpLinks.Base + "Set-SandboxNetworkPolicy.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class SetSandboxNetworkPolicyCommand : SandboxActionCmdlet
{
    private SandboxNetworkPolicy? _policy;

    /// <summary><para type="description">deny-all (loopback only), allow-all (outbound through the server's NAT), or custom (only -AllowCidr and -AllowDomain). Custom when omitted and -AllowCidr or -AllowDomain is given.</para></summary>
    [Parameter(Position = 1)]
    [ValidateSet("allow-all", "deny-all", "custom")]
    [WireField("network_policy.mode")]
    public string? Mode { get; set; }

    /// <summary><para type="description">IPv4 addresses or CIDRs the sandbox may reach (custom mode; at most 10).</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("network_policy.allow_cidrs")]
    public string[]? AllowCidr { get; set; }

    /// <summary><para type="description">Domains whose addresses the sandbox may reach, resolved when the policy is applied and again on a schedule; a leading *. is allowed (custom mode; at most 50).</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("network_policy.allow_domains")]
    public string[]? AllowDomain { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        base.Begin();
        try
        {
            _policy = NetworkPolicySupport.Build(Mode, AllowCidr, AllowDomain);
        }
        catch (ArgumentException e)
        {
            FailArgument(e.Message, "SandboxInvalidNetworkPolicy", Mode);
        }
        if (_policy is null) FailArgument("give -Mode, -AllowCidr or -AllowDomain", "SandboxInvalidNetworkPolicy", null);
    }

    /// <inheritdoc />
    protected override void ProcessSandbox(string name)
    {
        if (!ShouldProcess(name, $"Set network policy to {_policy}")) return;
        var updated = Await(Client.Sandboxes.SetNetworkPolicyAsync(name, _policy!, null, CancellationToken));
        if (PassThru) WriteObject(updated);
    }
}
