using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>Completes volume names from the server (wildcards allowed, names quoted when needed).</summary>
public sealed class VolumeNameCompleter : IArgumentCompleter
{
    /// <summary>The matching volume names.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionSource.Complete(fakeBoundParameters, wordToComplete, async (client, ct) =>
        {
            var list = new List<(string, string?)>();
            await foreach (var v in client.ListAllVolumesAsync(null, null, ct).ConfigureAwait(false))
            {
                list.Add((v.Name, $"{v.Name}: {v.Size}"));
                if (list.Count >= 1000) break;
            }
            return list;
        });
}

/// <summary>Volume helpers the volume cmdlets share.</summary>
internal static class VolumeNames
{
    /// <summary>
    /// Names for a <c>-Name</c> value: the name itself when it has no wildcards (so that a missing one fails with
    /// VolumeNotFound), else the names of the volumes that match (none is not an error).
    /// </summary>
    public static IReadOnlyList<string> Expand(SandboxClient client, string pattern, Func<Task<IReadOnlyList<SandboxVolume>>, IReadOnlyList<SandboxVolume>> wait, CancellationToken ct)
    {
        if (!SandboxWildcard.ContainsWildcard(pattern)) return [SandboxWildcard.Parse(pattern).LiteralText ?? pattern];
        return wait(client.FindVolumesAsync(pattern, null, ct)).Select(v => v.Name).ToList();
    }

    /// <summary>A size given as '1Gi', '512Mi' or a number of bytes (PowerShell's 1GB is a number), as the string sent.</summary>
    public static string? SizeText(object? size)
    {
        var value = size is PSObject pso ? pso.BaseObject : size;
        var text = value switch
        {
            null => null,
            string s => s.Trim(),
            IConvertible c when value is not bool => Convert.ToString(c, System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        return text is not null && SandboxQuantity.TryParseBytes(text, out _) ? text : null;
    }
}
