using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>Which way a file went.</summary>
public enum SandboxTransferDirection
{
    /// <summary>From the local machine into the sandbox.</summary>
    ToSandbox,

    /// <summary>From the sandbox to the local machine.</summary>
    FromSandbox,
}

/// <summary>A file copied to or from a sandbox: what <c>Copy-SandboxItem -PassThru</c> and <c>Set-SandboxContent -PassThru</c> return.</summary>
public sealed class SandboxFileTransfer
{
    /// <summary>The sandbox's name.</summary>
    public string Sandbox { get; init; } = "";

    /// <summary>Which way the file went.</summary>
    public SandboxTransferDirection Direction { get; init; }

    /// <summary>Where it came from (a local path, a sandbox path, or <c>(content)</c>).</summary>
    public string Source { get; init; } = "";

    /// <summary>Where it was written (a sandbox path as the server reports it, or a full local path).</summary>
    public string Destination { get; init; } = "";

    /// <summary>Bytes copied (for a directory, the bytes of its files).</summary>
    public long Length { get; init; }

    /// <summary>Files copied: 1 for a file, the regular files of the tree for a directory (-Recurse).</summary>
    public int Files { get; init; } = 1;

    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The destination.</summary>
    public override string ToString() => Destination;
}

/// <summary>Path rules of file copies between the local machine and a sandbox (sandbox paths are POSIX paths).</summary>
public static class SandboxPaths
{
    /// <summary>The last segment of a sandbox or local path (<c>/a/b.txt</c> gives <c>b.txt</c>).</summary>
    public static string FileName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var trimmed = path.Replace('\\', '/').TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash >= 0 ? trimmed[(slash + 1)..] : trimmed;
    }

    /// <summary>True when a sandbox destination names a directory (ends with <c>/</c>, or is <c>.</c>, <c>~</c> or empty).</summary>
    public static bool IsDirectoryLike(string destination) =>
        string.IsNullOrEmpty(destination) || destination.EndsWith('/') || destination is "." or "~" or "..";

    /// <summary>
    /// The sandbox path a local file is uploaded to: <paramref name="destination"/> itself, or the file's name under it when it
    /// names a directory or when several files are copied.
    /// </summary>
    public static string UploadTarget(string localPath, string destination, bool manySources)
    {
        var name = FileName(localPath);
        if (string.IsNullOrEmpty(destination) || destination is "." or "~") return name;
        if (IsDirectoryLike(destination) || manySources) return destination.TrimEnd('/') + "/" + name;
        return destination;
    }

    /// <summary>
    /// The local path a sandbox file is downloaded to: <paramref name="localDestination"/> itself, or the file's name under it
    /// when it is an existing directory, ends with a separator, or several files are copied.
    /// </summary>
    public static string DownloadTarget(string sandboxPath, string localDestination, bool manySources)
    {
        var name = FileName(sandboxPath);
        if (Directory.Exists(localDestination) || localDestination.EndsWith('/') || localDestination.EndsWith(Path.DirectorySeparatorChar) || manySources)
            return Path.Combine(localDestination, name);
        return localDestination;
    }
}
