namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Changes how many ready sandboxes a warm pool keeps (0 pauses it).</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "SandboxPool", HelpUri = HelpLinks.Base + "Set-SandboxPool.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class SetSandboxPoolCommand : ResourcesCmdlet<SandboxPool>
{
    /// <summary><para type="description">The desired number of ready sandboxes (0-100). 0 pauses the pool; a lower number ends the surplus idle sandboxes; sandboxes already handed out are never touched.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(0, 100)]
    [WireField("replicas")]
    public int Replicas { get; set; }

    /// <summary><para type="description">Returns each changed pool.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }


    private protected override void ProcessItem(string name, SandboxPool? known)
    {
        if (!ShouldProcess(name, $"Set pool replicas to {Replicas}")) return;
        var pool = Await(Client.Pools.SetReplicasAsync(name, Replicas, null, CancellationToken));
        if (PassThru) WriteObject(pool);
    }
}
