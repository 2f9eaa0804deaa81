using System.Collections;
using System.Management.Automation.Language;

namespace SandboxModule;

/// <summary>Shared work of the completers: a short-lived client with no retries, names from the server, matching and quoting.</summary>
internal static class CompletionSource
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    /// <summary>The names of one kind of resource (at most 1000) that match the word.</summary>
    public static IEnumerable<CompletionResult> CompleteNames(IResourceKind kind, IDictionary fakeBoundParameters, string wordToComplete) =>
        Complete(fakeBoundParameters, wordToComplete, async (client, ct) =>
        {
            var list = new List<(string, string?)>();
            await foreach (var (name, toolTip) in kind.NamesAsync(client, ct).ConfigureAwait(false))
            {
                list.Add((name, toolTip));
                if (list.Count >= 1000) break;
            }
            return list;
        });

    private static IEnumerable<CompletionResult> Complete(IDictionary fakeBoundParameters, string wordToComplete,
        Func<SandboxClient, CancellationToken, Task<IEnumerable<(string Name, string? ToolTip)>>> names)
    {
        var settings = ConnectionFor(fakeBoundParameters);
        if (settings is null) return [];
        try
        {
            using var cts = new CancellationTokenSource(Budget);
            using var client = new SandboxClient(settings, new SandboxClientOptions { Retry = SandboxRetryPolicy.None, DefaultTimeout = Budget, ConnectTimeout = TimeSpan.FromSeconds(1) });
            var found = names(client, cts.Token).GetAwaiter().GetResult();
            return NameCompletion.Complete(found, wordToComplete)
                .Select(c => new CompletionResult(c.CompletionText, c.ListItemText, CompletionResultType.ParameterValue, c.ToolTip))
                .ToList();
        }
        catch (Exception e) when (e is SandboxApiException or OperationCanceledException or ArgumentException or IOException or HttpRequestException)
        {
            // Completion never fails loudly: no server, no names.
            return [];
        }
    }

    /// <summary>The settings of <c>-Connection</c>, the default, the chain's connection, or the chain itself (never starts a server).</summary>
    private static SandboxConnectionSettings? ConnectionFor(IDictionary fakeBoundParameters)
    {
        var given = fakeBoundParameters?["Connection"];
        if ((given is PSObject pso ? pso.BaseObject : given) is SandboxConnection { IsOpen: true } c) return c.Settings;
        try
        {
            var chain = SandboxConnectionSettings.Resolve();
            return ModuleState.Current.CurrentConnection(chain)?.Settings ?? chain;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>
/// A completer of the names of one kind of resource from the server (at most 1000, wildcards allowed, names quoted when
/// needed). Every name completer of the module is one of these, so that they all live here.
/// </summary>
/// <typeparam name="T">The resource's wire model.</typeparam>
public class ResourceNameCompleter<T> : IArgumentCompleter where T : Sandbox.Client.SandboxResource
{
    /// <summary>The matching names.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionSource.CompleteNames(ResourceKinds.Of<T>(), fakeBoundParameters, wordToComplete);
}

/// <summary>Completes sandbox names.</summary>
public sealed class SandboxNameCompleter : ResourceNameCompleter<Sandbox.Client.Sandbox>;

/// <summary>Completes template names.</summary>
public sealed class TemplateNameCompleter : ResourceNameCompleter<SandboxTemplate>;

/// <summary>Completes pool names.</summary>
public sealed class PoolNameCompleter : ResourceNameCompleter<SandboxPool>;

/// <summary>Completes volume names.</summary>
public sealed class VolumeNameCompleter : ResourceNameCompleter<SandboxVolume>;

/// <summary>Completes snapshot names and their references name:tag.</summary>
public sealed class SnapshotNameCompleter : ResourceNameCompleter<SandboxSnapshot>;

/// <summary>Completes registry names.</summary>
public sealed class RegistryNameCompleter : ResourceNameCompleter<SandboxRegistry>;

/// <summary>
/// Completes the names of the resource the command is about, known by the command's noun (Get-SandboxPool: pools): the
/// completer of <c>-Name</c> where the generic bases of the resource cmdlets declare it once for every kind.
/// </summary>
public sealed class CommandResourceNameCompleter : IArgumentCompleter
{
    /// <summary>The matching names; none when the command is not a resource cmdlet of the module.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        // "Get-SandboxPool" or "Sandbox\Get-SandboxPool": the noun follows the verb's hyphen.
        var noun = commandName[(commandName.LastIndexOf('-') + 1)..];
        return ResourceKinds.ForCmdletNoun(noun) is { } kind ? CompletionSource.CompleteNames(kind, fakeBoundParameters, wordToComplete) : [];
    }
}
