namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a warm pool: ready sandboxes of a template that New-Sandbox hands out in milliseconds.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxPool", HelpUri = HelpLinks.Base + "New-SandboxPool.md", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxPool))]
public sealed class NewSandboxPoolCommand : SandboxConnectedCmdlet
{
    private const int ActivityId = 41;

    /// <summary><para type="description">The pool's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("PoolName")]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The template of the pool's sandboxes; it must mount no volumes.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("TemplateName")]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    [WireField("template_name")]
    public string Template { get; set; } = "";

    /// <summary><para type="description">How many ready sandboxes the pool keeps (1-100, default 1).</para></summary>
    [Parameter(Position = 2)]
    [ValidateRange(1, 100)]
    [WireField("replicas")]
    public int Replicas { get; set; } = 1;

    /// <summary><para type="description">Seconds to wait for every replica to be ready (default 120). Progress is shown while they warm up.</para></summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 120;

    /// <summary><para type="description">Returns as soon as the pool exists, without waiting for its replicas.</para></summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Create pool of {Replicas} sandboxes of template '{Template}'")) return;
        TryItem(Name, () =>
        {
            // Created without the server-side wait, then polled, so that progress shows the replicas warming up.
            var pool = Await(Client.Pools.CreateAsync(new CreatePoolRequest { Name = Name, TemplateName = Template, Replicas = Replicas, WaitForReady = false }, null, CancellationToken));
            if (NoWait)
            {
                WriteObject(pool);
                return;
            }
            var activity = $"Warming up pool {Name}";
            var started = DateTime.UtcNow;
            try
            {
                var ready = Pump<SandboxPool, SandboxPool>(
                    (progress, ct) => Client.Pools.WaitForReadyAsync(Name, new() { Timeout = TimeSpan.FromSeconds(TimeoutSec), Progress = progress }, ct),
                    p =>
                    {
                        var count = p.ReadyReplicas ?? 0;
                        var left = TimeoutSec - (int)(DateTime.UtcNow - started).TotalSeconds;
                        WriteProgress(new ProgressRecord(ActivityId, activity, $"{count} of {p.Replicas} sandboxes ready")
                        {
                            PercentComplete = p.Replicas == 0 ? 100 : Math.Min(100, count * 100 / p.Replicas),
                            SecondsRemaining = Math.Max(0, left),
                        });
                    });
                WriteObject(ready);
            }
            finally
            {
                CompleteProgress(ActivityId, activity);
            }
        });
    }
}
