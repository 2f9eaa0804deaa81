using System.Runtime.CompilerServices;

namespace SandboxModule;

/// <summary>
/// What the module needs to know of one kind of named resource (sandbox, template, pool, volume): how to find, delete and
/// rename it and how to show it in completion. Get-, Remove-, Rename- and the name completers are written once over it,
/// so that the four resources cannot drift apart.
/// </summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
internal sealed class ResourceKind<T> : IResourceKind where T : class
{
    /// <summary>The resource's name in messages ("pool").</summary>
    public required string Noun { get; init; }

    /// <summary>The noun of the resource's cmdlets ("SandboxPool"): how a completer named by the command finds its kind.</summary>
    public required string CmdletNoun { get; init; }

    /// <summary>Remove-'s confirmation text, with what deleting it takes along ("Delete volume and its data").</summary>
    public required string DeleteAction { get; init; }

    /// <summary>The resource's name.</summary>
    public required Func<T, string> NameOf { get; init; }

    /// <summary>What -PassThru returns for a deleted resource that was known only by its name.</summary>
    public required Func<string, T> Placeholder { get; init; }

    /// <summary>Resources by name or wildcard pattern (null: all); a name without wildcards that does not exist throws.</summary>
    public required Func<SandboxClient, string?, CancellationToken, Task<IReadOnlyList<T>>> FindAsync { get; init; }

    /// <summary>Deletes a resource by name.</summary>
    public required Func<SandboxClient, string, CancellationToken, Task> DeleteAsync { get; init; }

    /// <summary>Renames a resource and returns it.</summary>
    public required Func<SandboxClient, string, string, CancellationToken, Task<T>> RenameAsync { get; init; }

    /// <summary>Every resource, in the order completion lists them.</summary>
    public required Func<SandboxClient, CancellationToken, IAsyncEnumerable<T>> ListAllAsync { get; init; }

    /// <summary>The tool tip of a completion result.</summary>
    public required Func<T, string> ToolTip { get; init; }

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Name, string ToolTip)> NamesAsync(SandboxClient client, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in ListAllAsync(client, cancellationToken).ConfigureAwait(false)) yield return (NameOf(item), ToolTip(item));
    }
}

/// <summary>A resource kind without its model type: what a completer needs when only the command's name tells the kind.</summary>
internal interface IResourceKind
{
    /// <summary>The noun of the resource's cmdlets ("SandboxPool").</summary>
    string CmdletNoun { get; }

    /// <summary>Every resource's name and completion tool tip, in the order completion lists them.</summary>
    IAsyncEnumerable<(string Name, string ToolTip)> NamesAsync(SandboxClient client, CancellationToken cancellationToken);
}

/// <summary>The resource kinds of the module.</summary>
internal static class ResourceKinds
{
    public static readonly ResourceKind<Sandbox.Client.Sandbox> Sandbox = new()
    {
        Noun = "sandbox",
        CmdletNoun = "Sandbox",
        DeleteAction = "Delete sandbox",
        NameOf = s => s.Name,
        Placeholder = name => new Sandbox.Client.Sandbox { Name = name, Status = SandboxStatus.Deleting },
        FindAsync = (client, pattern, ct) => client.FindSandboxesAsync(pattern, null, null, null, ct),
        DeleteAsync = (client, name, ct) => client.DeleteSandboxAsync(name, null, ct),
        RenameAsync = (client, name, newName, ct) => client.RenameSandboxAsync(name, newName, null, ct),
        ListAllAsync = (client, ct) => client.ListAllSandboxesAsync(new SandboxListQuery { SortBy = SandboxSortBy.Name, Ascending = true }, null, ct),
        ToolTip = s => $"{s.Name}: {s.Status} ({s.TemplateName})",
    };

    public static readonly ResourceKind<SandboxTemplate> Template = new()
    {
        Noun = "template",
        CmdletNoun = "SandboxTemplate",
        DeleteAction = "Delete template",
        NameOf = t => t.Name,
        Placeholder = name => new SandboxTemplate { Name = name },
        FindAsync = (client, pattern, ct) => client.FindTemplatesAsync(pattern, null, ct),
        DeleteAsync = (client, name, ct) => client.DeleteTemplateAsync(name, null, ct),
        RenameAsync = (client, name, newName, ct) => client.RenameTemplateAsync(name, newName, null, ct),
        ListAllAsync = (client, ct) => client.ListAllTemplatesAsync(null, null, ct),
        ToolTip = t => $"{t.Name}: {t.Image} ({t.Resources})",
    };

    public static readonly ResourceKind<SandboxPool> Pool = new()
    {
        Noun = "pool",
        CmdletNoun = "SandboxPool",
        DeleteAction = "Delete pool and end its idle sandboxes",
        NameOf = p => p.Name,
        Placeholder = name => new SandboxPool { Name = name },
        FindAsync = (client, pattern, ct) => client.FindPoolsAsync(pattern, null, ct),
        DeleteAsync = (client, name, ct) => client.DeletePoolAsync(name, null, ct),
        RenameAsync = (client, name, newName, ct) => client.RenamePoolAsync(name, newName, null, ct),
        ListAllAsync = (client, ct) => client.ListAllPoolsAsync(null, null, ct),
        ToolTip = p => $"{p.Name}: {p.ReadyReplicas?.ToString() ?? "?"}/{p.Replicas} ready ({p.TemplateName})",
    };

    public static readonly ResourceKind<SandboxVolume> Volume = new()
    {
        Noun = "volume",
        CmdletNoun = "SandboxVolume",
        DeleteAction = "Delete volume and its data",
        NameOf = v => v.Name,
        Placeholder = name => new SandboxVolume { Name = name },
        FindAsync = (client, pattern, ct) => client.FindVolumesAsync(pattern, null, ct),
        DeleteAsync = (client, name, ct) => client.DeleteVolumeAsync(name, null, ct),
        RenameAsync = (client, name, newName, ct) => client.RenameVolumeAsync(name, newName, null, ct),
        ListAllAsync = (client, ct) => client.ListAllVolumesAsync(null, null, ct),
        ToolTip = v => $"{v.Name}: {v.Size}",
    };

    private static readonly IResourceKind[] All = [Sandbox, Template, Pool, Volume];

    /// <summary>The kind of the resource model <typeparamref name="T"/>: the bases of the resource cmdlets find theirs by their type argument.</summary>
    public static ResourceKind<T> Of<T>() where T : class =>
        All.OfType<ResourceKind<T>>().SingleOrDefault() ?? throw new InvalidOperationException($"{typeof(T).Name} is not a resource kind of the module");

    /// <summary>Whether the cmdlet noun ("SandboxPool") is one of the kinds, and which.</summary>
    public static IResourceKind? ForCmdletNoun(string cmdletNoun) =>
        All.FirstOrDefault(k => string.Equals(k.CmdletNoun, cmdletNoun, StringComparison.OrdinalIgnoreCase));
}
