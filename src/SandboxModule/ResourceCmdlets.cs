namespace SandboxModule;

/// <summary>
/// The base of Get-Sandbox, Get-SandboxTemplate, Get-SandboxPool and Get-SandboxVolume: each name or pattern of <c>-Name</c>
/// (none: every resource) becomes the resources it names. <c>-Name</c> is declared here for every kind
/// (completed by the command's noun); the sandbox cmdlets override it to add the <c>SandboxName</c> alias.
/// </summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
public abstract class GetResourceCmdlet<T> : SandboxConnectedCmdlet where T : class
{
    /// <summary><para type="description">Names or wildcard patterns; a name without wildcards that does not exist is an error, a pattern that matches nothing is not. Default: every resource.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CommandResourceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public virtual string[]? Name { get; set; }

    private protected ResourceKind<T> Kind => ResourceKinds.Of<T>();

    /// <summary>The resources for one name or pattern (null: all).</summary>
    private protected virtual Task<IReadOnlyList<T>> FindAsync(string? pattern) => Kind.FindAsync(Client, pattern, CancellationToken);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var pattern in Name ?? [null!])
            TryItem(pattern, () =>
            {
                foreach (var item in Await(FindAsync(pattern))) WriteObject(item);
            });
    }
}

/// <summary>
/// The base of cmdlets that act on several resources of one kind, given by name (wildcards allowed) or as objects from the
/// pipeline: the ByName and ByInputObject parameter sets. <c>-Name</c> is declared here for every kind
/// (completed by the command's noun); the sandbox cmdlets override it to add the <c>SandboxName</c> alias.
/// </summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
public abstract class ResourcesCmdlet<T> : SandboxConnectedCmdlet where T : class
{
    /// <summary>The default parameter set: names or wildcard patterns.</summary>
    protected const string ByName = "ByName";
    /// <summary>Resource objects from the pipeline.</summary>
    protected const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the resources.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CommandResourceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public virtual string[] Name { get; set; } = [];

    /// <summary><para type="description">Resources from the Get- or New- cmdlet of the same noun.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public T[] InputObject { get; set; } = [];

    private protected ResourceKind<T> Kind => ResourceKinds.Of<T>();

    /// <summary>Acts on one resource (<paramref name="known"/> when it was listed or given as an object); failures are per item.</summary>
    private protected abstract void ProcessItem(string name, T? known);

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInputObject)
        {
            foreach (var item in InputObject) TryItem(Kind.NameOf(item), () => ProcessItem(Kind.NameOf(item), item));
            return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                foreach (var (name, known) in Expand(Kind, pattern)) TryItem(name, () => ProcessItem(name, known));
            });
    }
}

/// <summary>
/// The base of Remove-Sandbox, Remove-SandboxTemplate, Remove-SandboxPool and Remove-SandboxVolume: one confirmation per
/// resource (<c>-Force</c> skips it), <c>-PassThru</c> returns the resource as it was.
/// </summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
public abstract class RemoveResourceCmdlet<T> : ResourcesCmdlet<T> where T : class
{
    /// <summary><para type="description">Deletes without asking for confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Returns each deleted resource as it was before deletion.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private protected sealed override void ProcessItem(string name, T? known)
    {
        if (!ShouldProcessItem(name, Kind.DeleteAction, Force)) return;
        Await(Kind.DeleteAsync(Client, name, CancellationToken));
        if (PassThru) WriteObject(known ?? Kind.Placeholder(name));
    }
}

/// <summary>
/// The base of cmdlets that change one resource, given by name or as an object from the pipeline, and can return it
/// (<c>-PassThru</c>). <c>-Name</c> is declared here for every kind
/// (completed by the command's noun); the sandbox cmdlets override it to add the <c>SandboxName</c> alias.
/// </summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
public abstract class ResourceCmdlet<T> : SandboxConnectedCmdlet where T : class
{
    /// <summary>The default parameter set: the resource's name.</summary>
    protected const string ByName = "ByName";
    /// <summary>A resource object from the pipeline.</summary>
    protected const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The resource's name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [ArgumentCompleter(typeof(CommandResourceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public virtual string Name { get; set; } = "";

    /// <summary><para type="description">A resource from the Get- or New- cmdlet of the same noun.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public T? InputObject { get; set; }

    /// <summary><para type="description">Returns the changed resource.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private protected ResourceKind<T> Kind => ResourceKinds.Of<T>();

    /// <summary>The name of the resource to change, from <c>-InputObject</c> or <c>-Name</c>.</summary>
    protected string TargetName => InputObject is { } item ? Kind.NameOf(item) : Name;

    /// <summary>Changes the resource after confirmation; <c>-PassThru</c> writes what <paramref name="change"/> returns.</summary>
    private protected void Change(string action, Func<string, Task<T>> change)
    {
        var name = TargetName;
        if (!ShouldProcess(name, action)) return;
        TryItem(name, () =>
        {
            var changed = Await(change(name));
            if (PassThru) WriteObject(changed);
        });
    }
}

/// <summary>The base of Rename-Sandbox, Rename-SandboxTemplate, Rename-SandboxPool and Rename-SandboxVolume.</summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
public abstract class RenameResourceCmdlet<T> : ResourceCmdlet<T> where T : class
{
    /// <summary><para type="description">The new name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessRecord() =>
        Change($"Rename {Kind.Noun} to '{NewName}'", name => Kind.RenameAsync(Client, name, NewName, CancellationToken));
}
