using Sandbox.Client;
using System.Runtime.CompilerServices;

namespace SandboxModule;

/// <summary>
/// What the module needs to know of one kind of named resource (sandbox, template, pool, volume, snapshot, registry): which resource client
/// of the SDK serves it (they share <see cref="IRenamableResourceClient{T}"/>), and how to name and show it. Get-, Remove-,
/// Rename- and the name completers are written once over it, so that the four resources cannot drift apart.
/// </summary>
/// <typeparam name="T">The resource's model.</typeparam>
internal sealed class ResourceKind<T> : IResourceKind where T : SandboxResource
{
    /// <summary>The resource's name in messages ("pool").</summary>
    public required string Noun { get; init; }

    /// <summary>The noun of the resource's cmdlets ("SandboxPool"): how a completer named by the command finds its kind.</summary>
    public required string CmdletNoun { get; init; }

    /// <summary>Remove-'s confirmation text, with what deleting it takes along ("Delete volume and its data").</summary>
    public required string DeleteAction { get; init; }

    /// <summary>The SDK's client of this resource (snapshots' cannot rename).</summary>
    public required Func<SandboxClient, IResourceClient<T>> Resources { get; init; }

    /// <summary>What -PassThru returns for a deleted resource that was known only by its name.</summary>
    public required Func<string, T> Placeholder { get; init; }

    /// <summary>The tool tip of a completion result.</summary>
    public required Func<T, string> ToolTip { get; init; }

    /// <summary>The list query of completion (null: the server's order).</summary>
    public SandboxPageQuery? CompletionQuery { get; init; }

    /// <summary>What completion offers for one resource (default: its name; snapshots add <c>name:tag</c>).</summary>
    public Func<T, IEnumerable<string>>? CompletionNames { get; init; }

    /// <summary>The resource's name.</summary>
    public string NameOf(T item) => item.Name;

    /// <summary>Resources by name or wildcard pattern (null: all); a name without wildcards that does not exist throws.</summary>
    public Task<IReadOnlyList<T>> FindAsync(SandboxClient client, string? pattern, CancellationToken ct) => Resources(client).FindAsync(pattern, null, ct);

    /// <summary>Deletes a resource by name.</summary>
    public Task DeleteAsync(SandboxClient client, string name, CancellationToken ct) => Resources(client).DeleteAsync(name, null, ct);

    /// <summary>Renames a resource and returns it.</summary>
    public Task<T> RenameAsync(SandboxClient client, string name, string newName, CancellationToken ct) =>
        Resources(client) is IRenamableResourceClient<T> renamable
            ? renamable.RenameAsync(name, newName, null, ct)
            : throw new NotSupportedException($"a {Noun} cannot be renamed");

    /// <summary>Every resource, in the order completion lists them.</summary>
    public IAsyncEnumerable<T> ListAllAsync(SandboxClient client, CancellationToken ct) => Resources(client).ListAllAsync(CompletionQuery, null, ct);

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Name, string ToolTip)> NamesAsync(SandboxClient client, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var item in ListAllAsync(client, cancellationToken).ConfigureAwait(false))
            foreach (var name in CompletionNames?.Invoke(item) ?? [item.Name])
                if (seen.Add(name)) yield return (name, ToolTip(item));
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
        Resources = client => client.Sandboxes,
        CompletionQuery = new SandboxListQuery { SortBy = SandboxSortBy.Name, Ascending = true },
        Placeholder = name => new Sandbox.Client.Sandbox { Name = name, Status = SandboxStatus.Deleting },
        ToolTip = s => $"{s.Name}: {s.Status} ({s.TemplateName})",
    };

    public static readonly ResourceKind<SandboxTemplate> Template = new()
    {
        Noun = "template",
        CmdletNoun = "SandboxTemplate",
        DeleteAction = "Delete template",
        Resources = client => client.Templates,
        Placeholder = name => new SandboxTemplate { Name = name },
        ToolTip = t => $"{t.Name}: {t.Image} ({t.Resources})",
    };

    public static readonly ResourceKind<SandboxPool> Pool = new()
    {
        Noun = "pool",
        CmdletNoun = "SandboxPool",
        DeleteAction = "Delete pool and end its idle sandboxes",
        Resources = client => client.Pools,
        Placeholder = name => new SandboxPool { Name = name },
        ToolTip = p => $"{p.Name}: {p.ReadyReplicas?.ToString() ?? "?"}/{p.Replicas} ready ({p.TemplateName})",
    };

    public static readonly ResourceKind<SandboxVolume> Volume = new()
    {
        Noun = "volume",
        CmdletNoun = "SandboxVolume",
        DeleteAction = "Delete volume and its data",
        Resources = client => client.Volumes,
        Placeholder = name => new SandboxVolume { Name = name },
        ToolTip = v => $"{v.Name}: {v.Size}",
    };

    public static readonly ResourceKind<SandboxSnapshot> Snapshot = new()
    {
        Noun = "snapshot",
        CmdletNoun = "SandboxSnapshot",
        DeleteAction = "Delete snapshot",
        Resources = client => client.Snapshots,
        Placeholder = name => new SandboxSnapshot { Name = name },
        ToolTip = s => $"{s.Name}: {s.Status}{(s.Tags.Count > 0 ? " (" + string.Join(", ", s.References) + ")" : "")} {s.Id}",
        CompletionNames = s => s.References.Prepend(s.Name),
    };

    public static readonly ResourceKind<SandboxRegistry> Registry = new()
    {
        Noun = "registry",
        CmdletNoun = "SandboxRegistry",
        DeleteAction = "Delete registry and its stored credentials",
        Resources = client => client.Registries,
        Placeholder = name => new SandboxRegistry { Name = name },
        ToolTip = r => $"{r.Name}: {r.Url}",
    };

    private static readonly IResourceKind[] All = [Sandbox, Template, Pool, Volume, Snapshot, Registry];

    /// <summary>The kind of the resource model <typeparamref name="T"/>: the bases of the resource cmdlets find theirs by their type argument.</summary>
    public static ResourceKind<T> Of<T>() where T : SandboxResource =>
        All.OfType<ResourceKind<T>>().SingleOrDefault() ?? throw new InvalidOperationException($"{typeof(T).Name} is not a resource kind of the module");

    /// <summary>Whether the cmdlet noun ("SandboxPool") is one of the kinds, and which.</summary>
    public static IResourceKind? ForCmdletNoun(string cmdletNoun) =>
        All.FirstOrDefault(k => string.Equals(k.CmdletNoun, cmdletNoun, StringComparison.OrdinalIgnoreCase));
}
