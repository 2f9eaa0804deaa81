using System.Collections;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets snapshots by name, name:tag, wildcard pattern, label or id.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxSnapshot", HelpUri = HelpLinks.Base + "Get-SandboxSnapshot.md", DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxSnapshot))]
public sealed class GetSandboxSnapshotCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ById = "ById";

    /// <summary><para type="description">Names or references name:tag, either part with wildcards (app, app:v2, app:v*, py*). A name names every snapshot of that name; name:tag the one the tag points at. One without wildcards that matches nothing is an error (SnapshotNotFound); a pattern that matches nothing is not. Default: every snapshot.</para></summary>
    [Parameter(Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SnapshotNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary><para type="description">Only snapshots with these labels, as a hashtable: @{ team = 'data' } needs that value, @{ team = '*' } (or $null) only the key. All must match.</para></summary>
    [Parameter(ParameterSetName = ByName)]
    [ValidateNotNull]
    public Hashtable? Label { get; set; }

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
            foreach (var id in Id) TryItem(id, () => WriteObject(Await(Client.Snapshots.GetAsync(id, null, CancellationToken))));
            return;
        }
        var labels = ToLabelFilters(Label, nameof(Label));
        foreach (var reference in Name ?? [null!])
        {
            if (reference is not null && (reference.StartsWith(':') || reference.EndsWith(':')))
            {
                WriteError(new ErrorRecord(new ArgumentException($"-Name '{reference}' is not a snapshot reference: use name or name:tag (wildcards allowed in either part)"),
                    "SandboxInvalidSnapshotReference", ErrorCategory.InvalidArgument, reference));
                continue;
            }
            TryItem(reference, () =>
            {
                foreach (var snapshot in Await(Client.Snapshots.FindAsync(reference, labels, null, CancellationToken)))
                    WriteObject(snapshot);
            });
        }
    }
}
