using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace SandboxModule;

/// <summary>Completes pool names from the server (wildcards allowed, names quoted when needed).</summary>
public sealed class PoolNameCompleter : IArgumentCompleter
{
    /// <summary>The matching pool names.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionSource.Complete(fakeBoundParameters, wordToComplete, async (client, ct) =>
        {
            var list = new List<(string, string?)>();
            await foreach (var p in client.ListAllPoolsAsync(null, null, ct).ConfigureAwait(false))
            {
                list.Add((p.Name, $"{p.Name}: {p.ReadyReplicas?.ToString() ?? "?"}/{p.Replicas} ready ({p.TemplateName})"));
                if (list.Count >= 1000) break;
            }
            return list;
        });
}
