using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Changes how many ready sandboxes a warm pool keeps (0 pauses it).</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "SandboxPool", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class SetSandboxPoolCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the pools to change.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("PoolName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Pools from Get-SandboxPool.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxPool[] InputObject { get; set; } = [];

    /// <summary><para type="description">The desired number of ready sandboxes (0-100). 0 pauses the pool; a lower number ends the surplus idle sandboxes; sandboxes already handed out are never touched.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(0, 100)]
    public int Replicas { get; set; }

    /// <summary><para type="description">Returns each changed pool.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInputObject)
        {
            foreach (var pool in InputObject) Set(pool.Name);
            return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                foreach (var name in ExpandPoolNames(pattern)) Set(name);
            });
    }

    private IReadOnlyList<string> ExpandPoolNames(string pattern)
    {
        if (!SandboxWildcard.ContainsWildcard(pattern)) return [SandboxWildcard.Parse(pattern).LiteralText ?? pattern];
        var found = Await(Client.FindPoolsAsync(pattern, null, CancellationToken));
        if (found.Count == 0) WriteVerbose($"No pool matches '{pattern}'.");
        return found.Select(p => p.Name).ToList();
    }

    private void Set(string name)
    {
        if (!ShouldProcess(name, $"Set pool replicas to {Replicas}")) return;
        TryItem(name, () =>
        {
            var pool = Await(Client.SetPoolReplicasAsync(name, Replicas, null, CancellationToken));
            if (PassThru) WriteObject(pool);
        });
    }
}
