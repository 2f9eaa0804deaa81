using System.Runtime.CompilerServices;
using System.Text.Json;
using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// What every named resource offers (sandboxes, templates, snapshots, pools, volumes), so that code can treat them alike.
/// </summary>
/// <typeparam name="T">The resource's model.</typeparam>
public interface IResourceClient<T> where T : SandboxResource
{
    /// <summary>Gets one by its key (its name; a snapshot's id).</summary>
    /// <exception cref="SandboxNotFoundException">No such resource.</exception>
    Task<T> GetAsync(string key, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>One page of the list.</summary>
    Task<SandboxPage<T>> ListAsync(SandboxPageQuery? query = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Every item matching the query, page by page (following the answers' <c>offset</c>), in the server's order.</summary>
    IAsyncEnumerable<T> ListAllAsync(SandboxPageQuery? query = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// By name or wildcard pattern: null, empty or <c>*</c> lists every one; a name without wildcards that does not exist
    /// throws <see cref="SandboxNotFoundException"/>; a wildcard pattern lists with <c>name_contains</c> set to its longest
    /// literal and matches locally (no match is an empty list, not an error).
    /// </summary>
    Task<IReadOnlyList<T>> FindAsync(string? namePattern = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes one by its key; retried as a safe request.</summary>
    /// <exception cref="SandboxNotFoundException">No such resource.</exception>
    Task DeleteAsync(string key, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>A named resource that can be renamed (all but snapshots).</summary>
/// <typeparam name="T">The resource's model.</typeparam>
public interface IRenamableResourceClient<T> : IResourceClient<T> where T : SandboxResource
{
    /// <summary>Renames one (<c>PATCH</c> with <c>name</c>); not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The new name is taken.</exception>
    Task<T> RenameAsync(string name, string newName, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// The list, lookup and delete code of every named resource, written once: a resource client says which kind it is and
/// the dialect says what goes on the wire.
/// </summary>
/// <typeparam name="T">The resource's model.</typeparam>
public abstract class ResourceClient<T> : IResourceClient<T> where T : SandboxResource
{
    private readonly SandboxResourceKind _kind;

    private protected ResourceClient(SandboxTransport transport, SandboxResourceKind kind)
    {
        Transport = transport;
        _kind = kind;
    }

    private protected SandboxTransport Transport { get; }

    private protected SandboxDialect Dialect => Transport.Dialect;

    /// <summary>Whether a name identifies one resource (so a name without wildcards is fetched directly); snapshots' names do not.</summary>
    private protected virtual bool NamesAreKeys => true;

    /// <summary>The list query a wildcard lookup starts from (sandboxes: sorted by name).</summary>
    private protected virtual SandboxPageQuery NewFindQuery() => new();

    /// <summary>Fills in what the client knows and the server does not send (the endpoint).</summary>
    private protected virtual T Stamp(T item) => item;

    /// <summary>What a literal name that matches nothing throws when names are not keys (<c>SnapshotNotFound</c>).</summary>
    private SandboxNotFoundException NotFound(string name) =>
        new($"{_kind.ToString().ToLowerInvariant()} '{name}' not found", 404, _kind + "NotFound") { TargetName = name };

    private protected Task<T> SendAsync(WireRequest wire, string? target, SandboxRequestOptions? options, CancellationToken ct, TimeSpan? defaultTimeout = null)
    {
        // Sandboxes and snapshots, the hot calls, go straight to the wire.
        async Task<T> Send() => Stamp(await Transport.SendJsonAsync<T>(wire, target, options?.Timeout ?? defaultTimeout, ct).ConfigureAwait(false));
        return SeedGenerationOnly ? OnEndpointAsync(Send, ct) : Send();
    }

    /// <summary>Templates, pools and volumes exist only on endpoints of the seed generation.</summary>
    private bool SeedGenerationOnly => _kind is SandboxResourceKind.Template or SandboxResourceKind.Pool or SandboxResourceKind.Volume;

    /// <summary>
    /// Runs a call of this resource; for a resource of the seed generation only, it fails with "not supported by this
    /// endpoint" on an endpoint known to be of the current generation, and finds that out when a call meets a 404 that
    /// is not this resource's own not-found (then a one-item list tells a missing resource from a missing collection).
    /// </summary>
    private async Task<TResult> OnEndpointAsync<TResult>(Func<Task<TResult>> call, CancellationToken ct)
    {
        if (!SeedGenerationOnly || Transport.Options.Generation == SandboxApiGeneration.Seed) return await call().ConfigureAwait(false);
        if (Transport.Options.Generation == SandboxApiGeneration.Current || Transport.SeedResourcesMissing) throw NotSupportedByEndpoint(null);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SandboxNotFoundException e) when (e.ErrorType != _kind + "NotFound")
        {
            if (await CollectionMissingAsync(ct).ConfigureAwait(false)) throw NotSupportedByEndpoint(e);
            throw;
        }
    }

    private async Task<bool> CollectionMissingAsync(CancellationToken ct)
    {
        try
        {
            await Transport.SendJsonAsync<JsonElement>(Dialect.List(_kind, new SandboxPageQuery { Limit = 1 }), null, null, ct).ConfigureAwait(false);
            return false;
        }
        catch (SandboxNotFoundException)
        {
            Transport.SeedResourcesMissing = true;
            return true;
        }
    }

    private SandboxNotSupportedException NotSupportedByEndpoint(Exception? inner)
    {
        var noun = _kind.ToString().ToLowerInvariant();
        return new SandboxNotSupportedException(
            $"{noun}s are not supported by this endpoint: it speaks the current generation of the sandbox API, which has no templates, " +
            "pools or volumes (sandboxes start from snapshots)", (inner as SandboxApiException)?.StatusCode, _kind + "NotSupported", inner);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A protocol without a single GET for this kind (leap0's snapshots and templates) is answered from the list: the
    /// item whose id is <paramref name="key"/>, else the one so named.
    /// </remarks>
    public Task<T> GetAsync(string key, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Dialect.GetsByKey(_kind) ? SendAsync(Dialect.Get(_kind, key), key, options, cancellationToken) : GetFromListAsync(key, options, cancellationToken);

    private async Task<T> GetFromListAsync(string key, SandboxRequestOptions? options, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        T? named = null;
        await foreach (var item in ListAllAsync(null, options, ct).ConfigureAwait(false))
        {
            if (item.Id == key) return item;
            if (item.Name == key) named ??= item;
        }
        return named ?? throw NotFound(key);
    }

    /// <inheritdoc/>
    public async Task<SandboxPage<T>> ListAsync(SandboxPageQuery? query = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        query ??= new SandboxPageQuery();
        var answer = await OnEndpointAsync(() => Transport.SendJsonAsync<JsonElement>(Dialect.List(_kind, query), null, options?.Timeout, cancellationToken), cancellationToken).ConfigureAwait(false);
        var page = Dialect.ReadPage<T>(_kind, answer, query);
        foreach (var item in page.Items) Stamp(item);
        return page;
    }

    /// <inheritdoc/>
    /// <remarks>Stops when a page is empty, shorter than the page size, or the offset does not advance (bounded).</remarks>
    public async IAsyncEnumerable<T> ListAllAsync(SandboxPageQuery? query = null, SandboxRequestOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var q = query?.Clone() ?? new SandboxPageQuery();
        q.Limit ??= SandboxDefaults.PageSize;
        q.Offset ??= 0;
        // Bounded: each page must advance the offset, and 1,000,000 items is far beyond any server's list.
        for (var pages = 0; pages < 1_000_000 / q.Limit.Value + 1; pages++)
        {
            var page = await ListAsync(q, options, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items) yield return item;
            if (page.Items.Count == 0 || page.Items.Count < q.Limit || page.NextOffset <= q.Offset) yield break;
            q.Offset = page.NextOffset;
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<T>> FindAsync(string? namePattern = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        FindAsync(namePattern, NewFindQuery(), static _ => true, options, cancellationToken);

    /// <summary>
    /// <see cref="FindAsync(string?, SandboxRequestOptions?, CancellationToken)"/> with the list's other filters
    /// (<paramref name="query"/>, whose name filter is set here) and a local filter applied in every case.
    /// </summary>
    private protected async Task<IReadOnlyList<T>> FindAsync(string? namePattern, SandboxPageQuery query, Func<T, bool> keep, SandboxRequestOptions? options, CancellationToken ct)
    {
        var pattern = string.IsNullOrEmpty(namePattern) ? null : SandboxWildcard.Parse(namePattern);
        if (pattern is { HasWildcards: false } && NamesAreKeys && Dialect.GetsByKey(_kind))
        {
            try
            {
                var one = await GetAsync(pattern.LiteralText!, options, ct).ConfigureAwait(false);
                return keep(one) ? [one] : [];
            }
            catch (SandboxNotFoundException) when (pattern.LiteralText != pattern.LiteralText!.ToLowerInvariant())
            {
                // Not under that spelling: look for it ignoring case in the list below.
            }
        }
        // Lowercased like a wildcard's literal: names on the server are lowercase, and a literal matches ignoring case.
        var literal = pattern is { HasWildcards: false } ? pattern.LiteralText!.ToLowerInvariant() : pattern?.LongestLiteral;
        query.NameContains = literal is { Length: > 0 } l ? l : null;
        var result = new List<T>();
        await foreach (var item in ListAllAsync(query, options, ct).ConfigureAwait(false))
            if ((pattern is null || (pattern.HasWildcards ? pattern.IsMatch(item.Name) : string.Equals(item.Name, pattern.LiteralText, StringComparison.OrdinalIgnoreCase))) && keep(item)) result.Add(item);
        if (pattern is { HasWildcards: false, LiteralText: var name })
        {
            // A literal name is the resource of that exact name, else the one whose name differs only in case (as the
            // wildcard would match it); several that differ only in case are none of them.
            var exact = result.Where(item => item.Name == name).ToList();
            result = exact.Count > 0 ? exact : result.Count == 1 ? result : [];
            if (result.Count == 0) throw NotFound(name!);
        }
        return result;
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string key, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        OnEndpointAsync(async () =>
        {
            await Transport.SendNoContentAsync(Dialect.Delete(_kind, key), key, options?.Timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Changes one (<c>PATCH</c>); not retried.</summary>
    private protected Task<T> UpdateCoreAsync(string key, object changes, SandboxRequestOptions? options, CancellationToken ct) =>
        SendAsync(Dialect.Update(_kind, key, changes ?? throw new ArgumentNullException(nameof(changes))), key, options, ct);

    /// <summary>Renames one; see <see cref="IRenamableResourceClient{T}.RenameAsync"/>.</summary>
    private protected Task<T> RenameCoreAsync(string name, string newName, SandboxRequestOptions? options, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        if (Dialect.RenameAnswersResource) return SendAsync(Dialect.Rename(_kind, name, newName), name, options, ct);
        return OnEndpointAsync(async () =>
        {
            await Transport.SendNoContentAsync(Dialect.Rename(_kind, name, newName), name, options?.Timeout, ct).ConfigureAwait(false);
            return (await FindAsync(newName, options, ct).ConfigureAwait(false))[0];
        }, ct);
    }
}

/// <summary>A <see cref="ResourceClient{T}"/> whose resources can be renamed.</summary>
/// <typeparam name="T">The resource's model.</typeparam>
public abstract class RenamableResourceClient<T> : ResourceClient<T>, IRenamableResourceClient<T> where T : SandboxResource
{
    private protected RenamableResourceClient(SandboxTransport transport, SandboxResourceKind kind) : base(transport, kind)
    {
    }

    /// <inheritdoc/>
    public Task<T> RenameAsync(string name, string newName, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        RenameCoreAsync(name, newName, options, cancellationToken);
}
