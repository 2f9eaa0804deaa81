using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes warm pools; their idle sandboxes end, sandboxes already handed out stay.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxPool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RemoveSandboxPoolCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the pools to delete.</para></summary>
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

    /// <summary><para type="description">Deletes without asking for confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Returns each deleted pool as it was before deletion.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInputObject)
        {
            foreach (var pool in InputObject) Remove(pool.Name, pool);
            return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                if (!SandboxWildcard.ContainsWildcard(pattern))
                {
                    Remove(SandboxWildcard.Parse(pattern).LiteralText ?? pattern, null);
                    return;
                }
                var found = Await(Client.FindPoolsAsync(pattern, null, CancellationToken));
                if (found.Count == 0) WriteVerbose($"No pool matches '{pattern}'.");
                foreach (var pool in found) Remove(pool.Name, pool);
            });
    }

    private void Remove(string name, SandboxPool? known)
    {
        if (!ShouldProcessItem(name, "Delete pool and end its idle sandboxes", Force)) return;
        TryItem(name, () =>
        {
            Await(Client.DeletePoolAsync(name, null, CancellationToken));
            if (PassThru) WriteObject(known ?? new SandboxPool { Name = name });
        });
    }
}
