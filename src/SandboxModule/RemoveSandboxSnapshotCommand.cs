namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes snapshots; sandboxes started from them keep working.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxSnapshot", HelpUri = HelpLinks.Base + "Remove-SandboxSnapshot.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxSnapshot))]
public sealed class RemoveSandboxSnapshotCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ById = "ById";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or references name:tag (wildcards allowed) of the snapshots to delete, as Get-SandboxSnapshot -Name takes them.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Ids of the snapshots to delete. Binds by property name (Id, SnapshotId) from the pipeline.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ById)]
    [Alias("SnapshotId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    /// <summary><para type="description">Snapshots from Get-SandboxSnapshot or New-SandboxSnapshot.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxSnapshot[] InputObject { get; set; } = [];

    /// <summary><para type="description">Deletes without asking for confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Returns each deleted snapshot as it was before deletion.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case ByInputObject:
                foreach (var snapshot in InputObject) Remove(snapshot.Id, snapshot.Name, snapshot);
                return;
            case ById:
                foreach (var id in Id) Remove(id, id, null);
                return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                foreach (var snapshot in Await(Client.Snapshots.FindAsync(pattern, null, null, CancellationToken))) Remove(snapshot.Id, snapshot.Name, snapshot);
            });
    }

    private void Remove(string id, string label, SandboxSnapshot? known)
    {
        if (!ShouldProcessItem(label == id ? id : $"{label} ({id})", "Delete snapshot", Force)) return;
        TryItem(label, () =>
        {
            Await(Client.Snapshots.DeleteAsync(id, null, CancellationToken));
            if (PassThru) WriteObject(known ?? new SandboxSnapshot { Id = id, Name = label });
        });
    }
}
