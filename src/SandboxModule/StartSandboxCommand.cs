using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Starts stopped sandboxes again.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class StartSandboxCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the sandboxes to start.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Sandboxes from Get-Sandbox.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox[] InputObject { get; set; } = [];

    /// <summary><para type="description">Returns each started sandbox.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ByInputObject ? InputObject.Select(s => s.Name) : Name;
        foreach (var pattern in names)
            TryItem(pattern, () =>
            {
                foreach (var name in ParameterSetName == ByInputObject ? [pattern] : ExpandSandboxNames(pattern))
                {
                    if (!ShouldProcess(name, "Start sandbox")) continue;
                    TryItem(name, () =>
                    {
                        var started = Await(Client.StartSandboxAsync(name, null, CancellationToken));
                        if (PassThru) WriteObject(started);
                    });
                }
            });
    }
}
