using System.Collections;

namespace SandboxModule;

/// <summary>
/// The one definition of the parameters that describe a new sandbox, shared by New-Sandbox and Use-Sandbox so that they
/// cannot drift apart: from a template or, with neither, the server's default (the default set), or from a snapshot, with
/// size, lifetime, user, environment and network policy. The derived cmdlet declares <c>-Template</c> (its position differs;
/// it is optional).
/// </summary>
public abstract class SandboxCreationCmdlet : SandboxRunSettingsCmdlet
{
    /// <summary>The default parameter set: the sandbox is made from a template, or without one from the server's default.</summary>
    protected const string FromTemplate = "FromTemplate";
    /// <summary>The sandbox starts from a snapshot.</summary>
    protected const string FromSnapshot = "FromSnapshot";

    /// <summary>The template to create the sandbox from; null or empty for the server's default.</summary>
    [WireField("template_name")]
    public abstract string? Template { get; set; }

    /// <summary><para type="description">The snapshot to start the sandbox from: its id, or name[:tag] (see Get-SandboxSnapshot; a bare name is name:latest, and the built-ins python and base are always there). Binds by property name (SnapshotId) from Get-SandboxSnapshot and New-SandboxSnapshot output.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FromSnapshot)]
    [Alias("SnapshotId")]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    [WireField("snapshot_id", "snapshot", "snapshot_name")]
    public string Snapshot { get; set; } = "";

    /// <summary><para type="description">The sandbox's name (lowercase letters, digits and hyphens). Binds by property name, so a Name column of Import-Csv names each sandbox; the name of a piped snapshot or template is not taken as the sandbox's.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string? Name { get; set; }

    /// <summary>
    /// A snapshot from the pipeline. It exists to choose the snapshot parameter set: -Name binds by property name in
    /// every set, and without a parameter that only a snapshot binds by value PowerShell would pick the default set
    /// for a piped snapshot. Its id binds -Snapshot (alias SnapshotId). An interface, so that no Import-Csv row is ever
    /// converted into it (a row with only a Name column would convert into a SandboxSnapshot).
    /// </summary>
    [Parameter(ValueFromPipeline = true, ParameterSetName = FromSnapshot, DontShow = true)]
    public ISandboxSnapshotReference? InputSnapshot { get; set; }

    /// <summary>A template, sandbox or pool from the pipeline (its template binds -Template by the TemplateName property); held only to know that its Name is its own.</summary>
    [Parameter(ValueFromPipeline = true, ParameterSetName = FromTemplate, DontShow = true)]
    public ISandboxTemplateReference? InputTemplateSource { get; set; }

    private bool _nameOnCommandLine;

    /// <inheritdoc />
    protected override void Begin()
    {
        // Command-line arguments are bound before Begin, pipeline input after: what is bound now was typed.
        _nameOnCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Name));
        base.Begin();
    }

    /// <summary>
    /// The sandbox's name for this record: -Name as typed, else a Name from the pipeline unless it is the piped
    /// resource's own (a snapshot's, template's, sandbox's or pool's), else null (the server names it).
    /// </summary>
    protected string? RequestedName =>
        _nameOnCommandLine || (InputSnapshot is null && InputTemplateSource is null) ? Name : null;

    /// <summary><para type="description">Virtual CPUs (1-64; leap0: 1-8).</para></summary>
    [Parameter]
    [ValidateRange(1, 64)]
    [WireField("vcpus", "cpu_millicores", "vcpu")]
    public int? Vcpu { get; set; }

    /// <summary><para type="description">Memory limit in MiB (at least 64; leap0: an even number from 512 to 8192).</para></summary>
    [Parameter]
    [ValidateRange(64L, long.MaxValue)]
    [WireField("mem_bytes", "memory_mib", "memory")]
    public long? MemoryMB { get; set; }

    /// <summary><para type="description">Seconds the server waits for the sandbox to be ready (1-600, default 30).</para></summary>
    [Parameter]
    [ValidateRange(1, 600)]
    [WireField("timeout")]
    public int? TimeoutSec { get; set; }

    /// <summary><para type="description">Deletes the sandbox after this time: seconds, 10m, 1h, or a TimeSpan (multiples of a minute on most servers; 0 disables). Alias -Timeout (leap0's timeout; sent to leap0 in whole minutes, 1-480).</para></summary>
    [Parameter]
    [Alias("Timeout")]
    [DurationTransformation]
    [WireField("ttl_seconds", "timeout_min")]
    public TimeSpan? TimeToLive { get; set; }

    /// <summary><para type="description">Stops the sandbox after it has been idle this long (same forms as -TimeToLive; 0 disables). On the local server a sandbox given none of -TimeToLive, -IdleTimeout, -DeleteAfterStop and -AutoPause gets 10 minutes, and is deleted 10 minutes after it stops.</para></summary>
    [Parameter]
    [DurationTransformation]
    [WireField("idle_ttl_seconds")]
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary><para type="description">Deletes the sandbox once it has been stopped this long (same forms as -TimeToLive; 0 disables).</para></summary>
    [Parameter]
    [DurationTransformation]
    [WireField("delete_after_stop_seconds")]
    public TimeSpan? DeleteAfterStop { get; set; }

    /// <summary><para type="description">When -TimeToLive runs out, pauses the sandbox (Resume-Sandbox wakes it) instead of deleting it.</para></summary>
    [Parameter]
    [WireField("auto_pause")]
    public SwitchParameter AutoPause { get; set; }

    /// <summary><para type="description">Copies the local OTEL_EXPORTER_OTLP_ENDPOINT (required) and OTEL_EXPORTER_OTLP_HEADERS into the sandbox's environment, as leap0's otel_export does, so that programs in it export telemetry to the same collector. -Environment wins for a variable given in both.</para></summary>
    [Parameter]
    public SwitchParameter OtelExport { get; set; }

    /// <summary><para type="description">Labels of the sandbox, as a hashtable of strings (@{ team = 'data' }); Get-Sandbox -Label finds it by them. Keys: 1-253 letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Label { get; set; }

    /// <summary><para type="description">The outbound network policy: deny-all, allow-all, or custom (only -AllowCidr and -AllowDomain). Custom when omitted and -AllowCidr or -AllowDomain is given.</para></summary>
    [Parameter]
    [ValidateSet("allow-all", "deny-all", "custom")]
    [WireField("network_policy", "proxy_config")]
    public string? NetworkPolicy { get; set; }

    /// <summary><para type="description">IPv4 addresses or CIDRs the sandbox may reach (custom network policy; at most 10).</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("network_policy.allow_cidrs")]
    public string[]? AllowCidr { get; set; }

    /// <summary><para type="description">Domains whose addresses the sandbox may reach (custom network policy; a leading *. is allowed; at most 50).</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("network_policy.allow_domains")]
    public string[]? AllowDomain { get; set; }

    /// <summary>True when the sandbox starts from <c>-Snapshot</c>.</summary>
    protected bool IsFromSnapshot => ParameterSetName == FromSnapshot;

    /// <summary>True when neither a template nor a snapshot is given: the server boots its default.</summary>
    protected bool IsFromDefault => !IsFromSnapshot && string.IsNullOrEmpty(Template);

    /// <summary>What the sandbox is made from, for messages: "template 'python'", "snapshot '…'" or "the server's default".</summary>
    protected string SourceText => IsFromSnapshot ? $"snapshot '{Snapshot}'" : IsFromDefault ? "the server's default" : $"template '{Template}'";

    /// <summary>The template name or snapshot the sandbox is made from; "(default)" for the server's default.</summary>
    protected string Source => IsFromSnapshot ? Snapshot : IsFromDefault ? "(default)" : Template!;

    /// <summary>The OpenTelemetry exporter variables leap0's SDK copies into a sandbox for <c>otel_export</c>.</summary>
    private static readonly string[] OtelVariables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"];

    /// <summary>
    /// -Environment plus, with -OtelExport, the local OTel exporter variables (leap0's SDK never sends <c>otel_export</c>: it
    /// merges them into <c>env_vars</c> the same way). Without an endpoint set there is nothing to export to: a terminating error.
    /// </summary>
    private Dictionary<string, string>? WithOtelExport(Dictionary<string, string>? environment)
    {
        if (!OtelExport) return environment;
        if (string.IsNullOrWhiteSpace(System.Environment.GetEnvironmentVariable(OtelVariables[0])))
            FailArgument($"-OtelExport copies the local {OtelVariables[0]} into the sandbox, and it is not set: set it (and {OtelVariables[1]} if the collector needs headers) or leave -OtelExport out",
                "SandboxOtelEndpointMissing", null);
        var result = environment ?? new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in OtelVariables)
            if (System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value) result.TryAdd(name, value);
        return result;
    }

    /// <summary>The idle timeout a sandbox on the local server gets when no lifetime parameter is given: 10 minutes, as the hosted API's default.</summary>
    public static readonly TimeSpan LocalDefaultIdleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How long such a sandbox is kept once stopped: 10 minutes, then it is deleted.</summary>
    public static readonly TimeSpan LocalDefaultDeleteAfterStop = TimeSpan.FromMinutes(10);

    /// <summary>
    /// idle_ttl_seconds and delete_after_stop_seconds to send. On the local server, a sandbox made with none of -TimeToLive,
    /// -IdleTimeout, -DeleteAfterStop and -AutoPause ends by itself: it stops after <see cref="LocalDefaultIdleTimeout"/> without
    /// use and is deleted <see cref="LocalDefaultDeleteAfterStop"/> later. The server leaves template creates (what the module
    /// sends for -Template) without an idle ttl and deletes nothing after a stop, so the README's one-liner left a running
    /// sandbox behind forever. Any lifetime parameter means the user chose: only what was given is sent. leap0's dialect on the
    /// local server (Connect-Sandbox -Local -Provider Leap0) has no idle time-out and its own default lifetime (timeout 300 s).
    /// </summary>
    private (long? IdleSeconds, long? DeleteAfterStopSeconds) LocalLifetime()
    {
        if (TimeToLive is not null || IdleTimeout is not null || DeleteAfterStop is not null || AutoPause
            || ResolveConnection() is not { IsLocalServer: true, Provider: SandboxProvider.LangSmith })
            return (SandboxDefaults.ToWholeSeconds(IdleTimeout), SandboxDefaults.ToWholeSeconds(DeleteAfterStop));
        WriteVerbose($"No lifetime given: the sandbox stops after {LocalDefaultIdleTimeout.TotalMinutes:0} minutes idle and is deleted {LocalDefaultDeleteAfterStop.TotalMinutes:0} minutes after it stops (-IdleTimeout 0 -DeleteAfterStop 0 keep it).");
        return ((long)LocalDefaultIdleTimeout.TotalSeconds, (long)LocalDefaultDeleteAfterStop.TotalSeconds);
    }

    /// <summary>
    /// The creation request the parameters describe, named <paramref name="name"/>. A bad network policy is a terminating
    /// <c>InvalidArgument</c> error (SandboxInvalidNetworkPolicy).
    /// </summary>
    protected CreateSandboxRequest BuildRequest(string? name, bool waitForReady)
    {
        SandboxNetworkPolicy? networkPolicy = null;
        try
        {
            networkPolicy = NetworkPolicySupport.Build(NetworkPolicy, AllowCidr, AllowDomain);
        }
        catch (ArgumentException e)
        {
            FailArgument(e.Message, "SandboxInvalidNetworkPolicy", NetworkPolicy);
        }
        var (idle, deleteAfterStop) = LocalLifetime();
        // An id goes as snapshot_id, which every server generation takes; name[:tag] as the current generation's snapshot.
        var snapshotIsId = IsFromSnapshot && Guid.TryParse(Snapshot, out _);
        return new CreateSandboxRequest
        {
            TemplateName = IsFromSnapshot || IsFromDefault ? null : Template,
            SnapshotId = snapshotIsId ? Snapshot : null,
            SnapshotReference = IsFromSnapshot && !snapshotIsId ? Snapshot : null,
            Name = name,
            WaitForReady = waitForReady,
            Timeout = TimeoutSec,
            Vcpus = Vcpu,
            MemBytes = MemoryMB is { } mb ? SandboxDefaults.MebibytesToBytes(mb) : null,
            TtlSeconds = SandboxDefaults.ToWholeSeconds(TimeToLive),
            IdleTtlSeconds = idle,
            DeleteAfterStopSeconds = deleteAfterStop,
            RunConfig = ToRunConfig(null),
            Environment = WithOtelExport(EnvironmentVariables),
            Labels = ToLabels(Label, nameof(Label)),
            AutoPause = AutoPause ? true : null,
            NetworkPolicy = networkPolicy,
        };
    }
}
