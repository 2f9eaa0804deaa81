using System.Formats.Tar;

namespace Sandbox.Module.Support;

/// <summary>The files and bytes of a directory tree in a tar (for progress totals and -PassThru).</summary>
public readonly record struct SandboxTreeSize(int Files, long Bytes);

/// <summary>A tar entry that would land outside the destination, or a kind of entry a copy does not create.</summary>
public sealed class SandboxUnsafeArchiveException(string message) : IOException(message);

/// <summary>The destination of a directory copy exists already (copies never merge into or replace a tree).</summary>
public sealed class SandboxDestinationExistsException(string message) : IOException(message);

/// <summary>
/// Directory trees as tar streams for <c>Copy-SandboxItem -Recurse</c>: packs a local directory (modes and symlinks kept,
/// links never followed) under one top entry named like the directory, and checks every entry of a tar from a sandbox
/// before anything is written, so that nothing (no name, no link target) can escape the destination.
/// </summary>
public static class SandboxTarTree
{
    /// <summary>Writes <paramref name="directory"/> as a tar to <paramref name="archive"/>, every entry under <paramref name="rootName"/>/.</summary>
    public static SandboxTreeSize Pack(string directory, string rootName, Stream archive)
    {
        ArgumentNullException.ThrowIfNull(directory);
        using var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true);
        var files = 0;
        long bytes = 0;
        writer.WriteEntry(directory, rootName);
        var pending = new Stack<(string Path, string Name)>();
        pending.Push((directory, rootName));
        while (pending.Count > 0)
        {
            var (path, name) = pending.Pop();
            foreach (var info in new DirectoryInfo(path).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                var entryName = name + "/" + info.Name;
                // WriteEntry stores a symlink as a link (its target as written), never what it points to.
                writer.WriteEntry(info.FullName, entryName);
                if (info.LinkTarget is not null) continue;
                if (info is DirectoryInfo) pending.Push((info.FullName, entryName));
                else if (info is FileInfo file)
                {
                    files++;
                    bytes += file.Length;
                }
            }
        }
        return new SandboxTreeSize(files, bytes);
    }

    /// <summary>
    /// Checks every entry of <paramref name="archive"/>: a relative name under <paramref name="rootName"/>/ with no <c>..</c>,
    /// a directory, regular file or symlink (hard links only to earlier regular files), link targets relative and inside the
    /// tree. Throws <see cref="SandboxUnsafeArchiveException"/> naming the first bad entry.
    /// </summary>
    public static SandboxTreeSize Validate(Stream archive, string rootName)
    {
        using var reader = new TarReader(archive, leaveOpen: true);
        var files = 0;
        long bytes = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var links = new HashSet<string>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            var name = CheckName(entry.Name, rootName);
            // A name through a symlink could land where the link's lexical check did not look: refuse it.
            for (var slash = name.IndexOf('/'); slash > 0; slash = name.IndexOf('/', slash + 1))
                if (links.Contains(name[..slash]))
                    throw new SandboxUnsafeArchiveException($"tar entry '{entry.Name}' goes through the symbolic link '{name[..slash]}'");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    files++;
                    bytes += entry.Length;
                    seen.Add(name);
                    break;
                case TarEntryType.SymbolicLink:
                    CheckLinkTarget(name, entry.LinkName, rootName, entry.Name);
                    links.Add(name);
                    break;
                case TarEntryType.HardLink:
                    if (!seen.Contains(CheckName(entry.LinkName, rootName)))
                        throw new SandboxUnsafeArchiveException($"tar entry '{entry.Name}' is a hard link to '{entry.LinkName}', which is not an earlier regular file of the tree");
                    break;
                default:
                    throw new SandboxUnsafeArchiveException($"tar entry '{entry.Name}' is a {entry.EntryType}: a copy creates only directories, files and symbolic links");
            }
        }
        return new SandboxTreeSize(files, bytes);
    }

    /// <summary>
    /// Extracts <paramref name="archivePath"/> (its entries under <paramref name="rootName"/>/) to <paramref name="target"/>,
    /// which must not exist: every entry is validated first, then the tree is written to a fresh directory beside the
    /// target and moved into place, so that a failed copy leaves nothing half-written at the target.
    /// </summary>
    public static SandboxTreeSize Extract(string archivePath, string rootName, string target)
    {
        SandboxTreeSize size;
        using (var check = File.OpenRead(archivePath)) size = Validate(check, rootName);
        target = Path.GetFullPath(target);
        if (Path.Exists(target)) throw new SandboxDestinationExistsException($"'{target}' exists already: a directory copy does not merge into or replace it; remove it or choose another destination");
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{target}' has no parent directory");
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.copy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            // Entries land under staging/rootName; every name and link was checked above, so this stays inside staging.
            var directoryModes = new List<(string Path, UnixFileMode Mode)>();
            using (var stream = File.OpenRead(archivePath))
            using (var reader = new TarReader(stream))
            {
                while (reader.GetNextEntry() is { } entry)
                {
                    var path = Path.Combine(staging, CheckName(entry.Name, rootName));
                    switch (entry.EntryType)
                    {
                        case TarEntryType.Directory:
                            Directory.CreateDirectory(path);
                            directoryModes.Add((path, entry.Mode));
                            break;
                        case TarEntryType.SymbolicLink:
                            File.CreateSymbolicLink(path, entry.LinkName);
                            break;
                        case TarEntryType.HardLink:
                            File.Copy(Path.Combine(staging, CheckName(entry.LinkName, rootName)), path);
                            break;
                        default:
                            entry.ExtractToFile(path, overwrite: false);
                            break;
                    }
                }
            }
            // Directory modes last (deepest first), so that a read-only directory does not stop its own entries.
            if (!OperatingSystem.IsWindows())
                foreach (var (path, mode) in directoryModes.OrderByDescending(d => d.Path.Length))
                    File.SetUnixFileMode(path, mode);
            Directory.Move(Path.Combine(staging, rootName), target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return size;
    }

    /// <summary>The entry name, normalized, when it is <paramref name="rootName"/> or under it with no <c>.</c>, <c>..</c> or empty segment.</summary>
    private static string CheckName(string name, string rootName)
    {
        var trimmed = name.TrimEnd('/');
        if (trimmed.StartsWith("./", StringComparison.Ordinal)) trimmed = trimmed[2..];
        if (trimmed.Length == 0 || trimmed.StartsWith('/') || trimmed.Contains('\\') || (trimmed.Length > 1 && trimmed[1] == ':'))
            throw new SandboxUnsafeArchiveException($"tar entry '{name}' has an absolute or empty name");
        var segments = trimmed.Split('/');
        if (segments.Any(s => s is "" or "." or ".."))
            throw new SandboxUnsafeArchiveException($"tar entry '{name}' has a '..', '.' or empty path segment");
        if (segments[0] != rootName)
            throw new SandboxUnsafeArchiveException($"tar entry '{name}' is not under '{rootName}/'");
        return trimmed;
    }

    /// <summary>Refuses a symlink whose target is absolute or resolves (from the link's directory) outside the tree.</summary>
    private static void CheckLinkTarget(string name, string linkTarget, string rootName, string entryName)
    {
        if (string.IsNullOrEmpty(linkTarget) || linkTarget.StartsWith('/') || linkTarget.Contains('\\'))
            throw new SandboxUnsafeArchiveException($"tar entry '{entryName}' is a symbolic link to '{linkTarget}', which is absolute: it would point outside the copied tree");
        var stack = new List<string>(name.Split('/')[..^1]);
        foreach (var segment in linkTarget.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                // The root entry itself is the top: leaving it leaves the tree.
                if (stack.Count <= 1)
                    throw new SandboxUnsafeArchiveException($"tar entry '{entryName}' is a symbolic link to '{linkTarget}', which points outside the copied tree");
                stack.RemoveAt(stack.Count - 1);
            }
            else stack.Add(segment);
        }
        if (stack.Count == 0 || stack[0] != rootName)
            throw new SandboxUnsafeArchiveException($"tar entry '{entryName}' is a symbolic link to '{linkTarget}', which points outside the copied tree");
    }
}
