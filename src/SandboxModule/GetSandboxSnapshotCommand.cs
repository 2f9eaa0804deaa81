namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets snapshots by name, wildcard pattern or id.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxSnapshot", DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxSnapshot))]
public sealed class GetSandboxSnapshotCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ById = "ById";

    /// <summary><para type="description">Names or wildcard patterns. A name without wildcards that matches nothing is an error (SnapshotNotFound); a pattern that matches nothing is not. Default: every snapshot.</para></summary>
    [Parameter(Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary><para type="description">Snapshot ids. Binds by property name (Id, SnapshotId) from the pipeline.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ById)]
    [Alias("SnapshotId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ById)
        {
            foreach (var id in Id) TryItem(id, () => WriteObject(Await(Client.GetSnapshotAsync(id, null, CancellationToken))));
            return;
        }
        foreach (var pattern in Name ?? [null!])
            TryItem(pattern, () =>
            {
                foreach (var snapshot in Await(Client.FindSnapshotsAsync(pattern, null, CancellationToken)))
                    WriteObject(snapshot);
            });
    }
}
