using System.Collections;
using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox from a template.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = FromTemplate)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class NewSandboxCommand : SandboxConnectedCmdlet
{
    private const string FromTemplate = "FromTemplate";
    private const string FromSnapshot = "FromSnapshot";

    /// <summary><para type="description">The template to create the sandbox from. Binds by property name from Get-SandboxTemplate output.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FromTemplate)]
    [Alias("TemplateName")]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = "";

    /// <summary><para type="description">The id of a snapshot to start the sandbox from (see Get-SandboxSnapshot). Binds by property name (SnapshotId) from Get-SandboxSnapshot and New-SandboxSnapshot output.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FromSnapshot)]
    [Alias("SnapshotId")]
    [ValidateNotNullOrEmpty]
    public string Snapshot { get; set; } = "";

    /// <summary><para type="description">The sandbox's name (lowercase letters, digits and hyphens). The server generates one when omitted.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary><para type="description">Virtual CPUs (1-64).</para></summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int? Vcpu { get; set; }

    /// <summary><para type="description">Memory limit in MiB (at least 64).</para></summary>
    [Parameter]
    [ValidateRange(64L, long.MaxValue)]
    public long? MemoryMB { get; set; }

    /// <summary><para type="description">Seconds the server waits for the sandbox to be ready (1-600, default 30).</para></summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int? TimeoutSec { get; set; }

    /// <summary><para type="description">Deletes the sandbox after this time: seconds, 10m, 1h, or a TimeSpan (multiples of a minute on most servers; 0 disables).</para></summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? TimeToLive { get; set; }

    /// <summary><para type="description">Deletes the sandbox after it has been idle this long (same forms as -TimeToLive; 0 disables).</para></summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary><para type="description">Environment variables for every command in the sandbox, as a hashtable.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Environment { get; set; }

    /// <summary><para type="description">Returns at once, while the sandbox is still provisioning (see Wait-Sandbox).</para></summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary><para type="description">When -TimeToLive runs out, pauses the sandbox (Resume-Sandbox wakes it) instead of deleting it.</para></summary>
    [Parameter]
    public SwitchParameter AutoPause { get; set; }

    /// <summary><para type="description">The outbound network policy: deny-all (the local server's default: loopback only), allow-all, or custom (only -AllowCidr and -AllowDomain). Custom when omitted and -AllowCidr or -AllowDomain is given.</para></summary>
    [Parameter]
    [ValidateSet("allow-all", "deny-all", "custom")]
    public string? NetworkPolicy { get; set; }

    /// <summary><para type="description">IPv4 addresses or CIDRs the sandbox may reach (custom network policy; at most 10).</para></summary>
    [Parameter]
    [ValidateNotNull]
    public string[]? AllowCidr { get; set; }

    /// <summary><para type="description">Domains whose addresses the sandbox may reach (custom network policy; a leading *. is allowed; at most 50).</para></summary>
    [Parameter]
    [ValidateNotNull]
    public string[]? AllowDomain { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var fromSnapshot = ParameterSetName == FromSnapshot;
        var source = fromSnapshot ? $"snapshot '{Snapshot}'" : $"template '{Template}'";
        var target = Name ?? $"(new sandbox from {source})";
        if (!ShouldProcess(target, $"Create sandbox from {source}")) return;
        SandboxNetworkPolicy? networkPolicy = null;
        try
        {
            networkPolicy = NetworkPolicySupport.Build(NetworkPolicy, AllowCidr, AllowDomain);
        }
        catch (ArgumentException e)
        {
            FailArgument(e.Message, "SandboxInvalidNetworkPolicy", NetworkPolicy);
        }
        var request = new CreateSandboxRequest
        {
            TemplateName = fromSnapshot ? null : Template,
            SnapshotId = fromSnapshot ? Snapshot : null,
            Name = Name,
            WaitForReady = !NoWait,
            Timeout = TimeoutSec,
            Vcpus = Vcpu,
            MemBytes = MemoryMB is { } mb ? SandboxDefaults.MebibytesToBytes(mb) : null,
            TtlSeconds = SandboxDefaults.ToWholeSeconds(TimeToLive),
            IdleTtlSeconds = SandboxDefaults.ToWholeSeconds(IdleTimeout),
            Environment = ToEnvironment(Environment, nameof(Environment)),
            AutoPause = AutoPause ? true : null,
            NetworkPolicy = networkPolicy,
        };
        TryItem(Name ?? (fromSnapshot ? Snapshot : Template), () => WriteObject(Await(Client.CreateSandboxAsync(request, null, CancellationToken))));
    }
}
