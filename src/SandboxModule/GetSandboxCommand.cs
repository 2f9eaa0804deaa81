using System.Collections;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandboxes by name or wildcard pattern, status and template.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "Sandbox", HelpUri = HelpLinks.Base + "Get-Sandbox.md")]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class GetSandboxCommand : GetResourceCmdlet<Sandbox.Client.Sandbox>
{
    /// <summary><para type="description">Names or wildcard patterns, matched ignoring case (names on the server are lowercase: MyBox finds mybox). A name without wildcards that does not exist is an error; a pattern that matches nothing is not. Default: every sandbox.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SandboxName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[]? Name { get; set; }

    /// <summary><para type="description">Only sandboxes in this status: provisioning, ready, failed, stopped, deleting or paused; leap0's state names starting and running mean provisioning and ready. Alias -State.</para></summary>
    [Parameter]
    [Alias("State")]
    [ValidateSet("provisioning", "ready", "failed", "stopped", "deleting", "paused", "starting", "running", IgnoreCase = true)]
    public string? Status { get; set; }

    /// <summary><para type="description">Only sandboxes created from this template.</para></summary>
    [Parameter]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Template { get; set; }

    /// <summary><para type="description">Only sandboxes with these labels, as a hashtable: @{ team = 'data' } needs that value, @{ team = '*' } (or $null) only the key. All must match.</para></summary>
    [Parameter]
    [ValidateNotNull]
    public Hashtable? Label { get; set; }

    private protected override Task<IReadOnlyList<Sandbox.Client.Sandbox>> FindAsync(string? pattern) =>
        Client.Sandboxes.FindAsync(pattern, Status is null ? null : SandboxStatus.Normalize(Status), Template, ToLabelFilters(Label, nameof(Label)), null, CancellationToken);
}
