namespace SandboxModule;

/// <summary>
/// The base of the read-only searches of a sandbox's files (Get-SandboxChildItem: glob; Select-SandboxString: grep):
/// the directory, the limit, and one place that runs a search, writes its matches and warns when there were more.
/// </summary>
public abstract class SandboxSearchCmdlet : SandboxFileCmdlet
{
    /// <summary>The directory to search under, as given (relative paths are relative to /home/user).</summary>
    public abstract string Path { get; set; }

    /// <summary><para type="description">At most this many results, 1-10000 (default: the server's, 1000). When there are more, a warning says so.</para></summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    [WireField("limit")]
    public int? Limit { get; set; }

    /// <summary>-Path made absolute.</summary>
    private protected string SearchDirectory => SandboxDefaults.ToAbsoluteWorkingDirectory(Path);

    /// <summary>Runs one search on the current sandbox, writes what <paramref name="keep"/> admits, and warns when the server stopped early.</summary>
    private protected void Search<T>(string what, Func<Sandbox.Client.Sandbox, Task<SandboxSearchResult<T>>> search, Func<T, bool> keep)
    {
        if (CurrentSandbox() is not { } sandbox) return;
        TryItem(SearchDirectory, () =>
        {
            var result = Await(search(sandbox));
            foreach (var match in result.Matches)
                if (keep(match)) WriteObject(match);
            if (result.Truncated)
                WriteWarning($"{what} under {sandbox.Name}:{SearchDirectory} stopped at {result.Matches.Count} results: there may be more; narrow the search or raise -Limit (at most 10000)");
        });
    }
}
