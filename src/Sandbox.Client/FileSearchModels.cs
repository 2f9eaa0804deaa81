using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>What to glob for (<c>POST {dataplane}/glob</c>).</summary>
public sealed class SandboxGlobRequest
{
    /// <summary>
    /// The pattern, matched against each entry's path relative to <see cref="Path"/>: <c>*</c> and <c>?</c> within one
    /// level, <c>[a-z]</c> classes, <c>**</c> as a whole segment any number of levels (<c>**/*.py</c>).
    /// </summary>
    public string Pattern { get; set; } = "*";

    /// <summary>The absolute directory to search under.</summary>
    public string Path { get; set; } = SandboxDefaults.WorkingDirectory;

    /// <summary>At most this many entries (1-10000; the server's default, 1000, when null).</summary>
    public int? Limit { get; set; }
}

/// <summary>What to grep for (<c>POST {dataplane}/grep</c>).</summary>
public sealed class SandboxGrepRequest
{
    /// <summary>The literal text to find (case-sensitive; not a regular expression).</summary>
    public string Pattern { get; set; } = "";

    /// <summary>The absolute directory whose files are searched, at any depth.</summary>
    public string Path { get; set; } = SandboxDefaults.WorkingDirectory;

    /// <summary>Only files matching this glob: without a <c>/</c> their base names at any depth (<c>*.py</c>), with one their relative path.</summary>
    public string? Glob { get; set; }

    /// <summary>At most this many matching lines (1-10000; the server's default, 1000, when null).</summary>
    public int? Limit { get; set; }
}

/// <summary>One entry a glob found: a file or a directory of a sandbox.</summary>
public sealed class SandboxFileEntry
{
    /// <summary>The sandbox it is in (filled in by the client).</summary>
    [JsonIgnore]
    public string SandboxName { get; set; } = "";

    /// <summary>The absolute path in the sandbox.</summary>
    public string Path { get; set; } = "";

    /// <summary>True for a directory.</summary>
    public bool IsDir { get; set; }

    /// <summary>Its size in bytes.</summary>
    public long SizeBytes { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? ModifiedAt { get; set; }

    /// <summary>The last segment of <see cref="Path"/>.</summary>
    [JsonIgnore]
    public string Name => Path.TrimEnd('/') is var p && p.LastIndexOf('/') is var i and >= 0 ? p[(i + 1)..] : Path;

    /// <summary>"d" for a directory, "-" for anything else (as the first column of <c>ls -l</c>).</summary>
    [JsonIgnore]
    public string Mode => IsDir ? "d" : "-";

    /// <inheritdoc />
    public override string ToString() => Path;
}

/// <summary>One line a grep found.</summary>
public sealed class SandboxMatchInfo
{
    /// <summary>The sandbox it is in (filled in by the client).</summary>
    [JsonIgnore]
    public string SandboxName { get; set; } = "";

    /// <summary>The file's absolute path in the sandbox.</summary>
    public string Path { get; set; } = "";

    /// <summary>The line number, from 1.</summary>
    [JsonPropertyName("line")]
    public long LineNumber { get; set; }

    /// <summary>The line's text (without its line end; cut at 2000 characters by the local server).</summary>
    [JsonPropertyName("text")]
    public string Line { get; set; } = "";

    /// <summary>The pattern that found it (filled in by the client).</summary>
    [JsonIgnore]
    public string Pattern { get; set; } = "";

    /// <summary><c>path:line:text</c>, as Select-String prints a match.</summary>
    public override string ToString() => $"{Path}:{LineNumber}:{Line}";
}

/// <summary>The answer of a glob or grep: the matches, sorted by path (grep: then by line), and whether there were more.</summary>
/// <typeparam name="T"><see cref="SandboxFileEntry"/> or <see cref="SandboxMatchInfo"/>.</typeparam>
public sealed class SandboxSearchResult<T>
{
    /// <summary>What was found.</summary>
    public IList<T> Matches { get; set; } = [];

    /// <summary>True when a limit or a bound of the server stopped the search early: there may be more.</summary>
    public bool Truncated { get; set; }
}
