using System.ComponentModel;
using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Unpacks a local image archive into a root filesystem: an OCI image layout directory, a <c>docker save</c> tarball
/// (or such a tarball unpacked into a directory), or an OCI layout packed in a tar. Layers are applied in order with the
/// OCI whiteout rules: <c>.wh.NAME</c> deletes NAME from the layers below, <c>.wh..wh..opq</c> makes its directory
/// opaque (hides everything the layers below put there). Paths never leave the root: symlinks met while resolving a
/// path resolve inside the root, as if the root were <c>/</c>.
/// </summary>
public static partial class ImageImporter
{
    public const string LocalForms =
        "an absolute path on the server's host to an OCI image layout directory (with oci-layout and index.json) " +
        "or a 'docker save' tarball (.tar, optionally gzipped)";

    public const string SupportedForms =
        "docker_image must be " + LocalForms + "; registry references such as 'python:3.12' are not supported by the local server";

    /// <summary>True when <paramref name="reference"/> is meant as a local image (an absolute path, maybe with an <c>oci:</c> or <c>docker-archive:</c> prefix), not a registry reference.</summary>
    public static bool LooksLocal(string reference) =>
        reference.StartsWith('/') || reference.StartsWith("oci:", StringComparison.Ordinal) || reference.StartsWith("docker-archive:", StringComparison.Ordinal);

    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>True when <paramref name="reference"/> names something this importer can read (a cheap check, before any work).</summary>
    public static bool LooksImportable(string reference, out string path)
    {
        path = reference.StartsWith("oci:", StringComparison.Ordinal) ? reference[4..]
            : reference.StartsWith("docker-archive:", StringComparison.Ordinal) ? reference["docker-archive:".Length..] : reference;
        if (!Path.IsPathFullyQualified(path)) return false;
        path = Path.GetFullPath(path);
        if (Directory.Exists(path))
            return File.Exists(Path.Combine(path, "index.json")) || File.Exists(Path.Combine(path, "manifest.json"));
        return File.Exists(path);
    }

    /// <summary>
    /// The canonical path of a local image (<see cref="LooksImportable"/> said yes) when it lies in one of
    /// <paramref name="imageDirs"/> (or anywhere when there are none), else null. The import reads this canonical path,
    /// so a symlink given in the request cannot lead outside the directories.
    /// </summary>
    public static string? AllowedPath(string path, IReadOnlyList<string> imageDirs)
    {
        if (Runtime.Native.RealPath(path) is not { } real) return null;
        return imageDirs.Count == 0 || imageDirs.Any(d => real == d || real.StartsWith(d.TrimEnd('/') + "/", StringComparison.Ordinal)) ? real : null;
    }

    /// <summary>
    /// Unpacks the image at <paramref name="path"/> into <paramref name="rootfs"/> (an empty directory); <paramref name="scratch"/>
    /// is for a tarball's contents. Returns the image's USER, WORKDIR and ENV as the bottom layer of run_config (null when
    /// its config sets none of them).
    /// </summary>
    public static RunConfigRecord? Import(string path, string rootfs, string scratch, CancellationToken ct)
    {
        var dir = path;
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(scratch);
            ExtractArchive(path, scratch, ct);
            dir = scratch;
        }
        var (layers, config) = Read(dir);
        if (layers.Count == 0) throw new InvalidDataException("the image has no layers");
        foreach (var layer in layers)
        {
            ct.ThrowIfCancellationRequested();
            ApplyLayer(layer, rootfs, ct);
        }
        return config is null ? null : RunConfigOf(config);
    }

    /// <summary>
    /// The image config's <c>config.User</c>, <c>config.WorkingDir</c> and <c>config.Env</c> (<c>KEY=value</c> entries)
    /// as a run_config layer; null when it sets none. Malformed entries are skipped: they set nothing at build time either.
    /// </summary>
    private static RunConfigRecord? RunConfigOf(string configFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(configFile), JsonOptions);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
            return null;
        static string? Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s && !s.Contains('\0') ? s : null;
        var user = Text(config, "User");
        var workDir = Text(config, "WorkingDir") is { } w && w.StartsWith('/') ? w : null;
        Dictionary<string, string>? env = null;
        if (config.TryGetProperty("Env", out var entries) && entries.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.String || entry.GetString() is not { } pair || pair.Contains('\0')) continue;
                var eq = pair.IndexOf('=');
                if (eq <= 0) continue;
                (env ??= new Dictionary<string, string>())[pair[..eq]] = pair[(eq + 1)..];
            }
        }
        return user is null && workDir is null && env is null ? null : new RunConfigRecord { User = user, WorkDir = workDir, EnvVars = env };
    }

    // ---------------------------------------------------------------- archive formats

    /// <summary>Unpacks a (possibly gzipped) tarball's regular files and directories into <paramref name="target"/>.</summary>
    private static void ExtractArchive(string tarball, string target, CancellationToken ct)
    {
        using var file = File.OpenRead(tarball);
        using var stream = Decompress(file, tarball);
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry() is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            if (Components(entry.Name) is not { Count: > 0 } parts) continue;
            var dest = Path.Combine([target, .. parts]);
            if (entry.EntryType == TarEntryType.Directory) Directory.CreateDirectory(dest);
            else if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile && entry.DataStream is { } data)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                using var output = new FileStream(dest, FileMode.Create, FileAccess.Write);
                data.CopyTo(output);
            }
            else if (entry.EntryType == TarEntryType.SymbolicLink && Components(entry.LinkName) is { Count: > 0 } linkParts)
            {
                // docker save (Docker 25+) links layer.tar files to blobs: copy the blob when it is already there.
                var from = entry.LinkName.StartsWith('/') ? Path.Combine([target, .. linkParts]) : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(dest)!, entry.LinkName));
                if (from.StartsWith(target + "/", StringComparison.Ordinal) && File.Exists(from))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Copy(from, dest, overwrite: true);
                }
            }
        }
    }

    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true };

    /// <summary>The layer files of an image directory, bottom first, and its config file (null when the manifest names none).</summary>
    private static (List<string> Layers, string? Config) Read(string dir)
    {
        var dockerManifest = Path.Combine(dir, "manifest.json");
        if (File.Exists(dockerManifest))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(dockerManifest), JsonOptions);
            if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() == 0)
                throw new InvalidDataException("manifest.json is not a docker save manifest (an array of images)");
            var image = doc.RootElement[0];
            if (!image.TryGetProperty("Layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException("manifest.json names no Layers");
            var configPath = image.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.String ? Inside(dir, c.GetString()!) : null;
            return (layers.EnumerateArray().Select(l => Inside(dir, l.GetString() ?? throw new InvalidDataException("a layer path is not a string"))).ToList(), configPath);
        }
        if (File.Exists(Path.Combine(dir, "index.json")))
        {
            using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "index.json")), JsonOptions);
            var manifest = PickManifest(dir, index.RootElement, 0);
            if (!manifest.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException("the image manifest has no layers");
            var result = new List<string>();
            foreach (var layer in layers.EnumerateArray())
            {
                var mediaType = layer.TryGetProperty("mediaType", out var m) ? m.GetString() ?? "" : "";
                if (mediaType.Contains("zstd", StringComparison.Ordinal))
                    throw new NotSupportedException($"layer media type {mediaType} is not supported (tar and tar+gzip are)");
                result.Add(Blob(dir, layer));
            }
            return (result, manifest.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object ? Blob(dir, config) : null);
        }
        throw new InvalidDataException("not an image: neither manifest.json (docker save) nor index.json (OCI layout) found");
    }

    /// <summary>The image manifest an index points at: the linux/amd64 one when the index names platforms, else the first.</summary>
    private static JsonElement PickManifest(string dir, JsonElement index, int depth)
    {
        if (depth > 4) throw new InvalidDataException("image indexes nest too deeply");
        if (!index.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array || manifests.GetArrayLength() == 0)
            throw new InvalidDataException("index.json lists no manifests");
        var all = manifests.EnumerateArray().ToList();
        var chosen = all.FirstOrDefault(m => m.TryGetProperty("platform", out var p) && p.TryGetProperty("os", out var os) && os.GetString() == "linux"
                                             && p.TryGetProperty("architecture", out var arch) && arch.GetString() == HostArchitecture);
        if (chosen.ValueKind != JsonValueKind.Object) chosen = all[0];
        using var doc = JsonDocument.Parse(File.ReadAllText(Blob(dir, chosen)), JsonOptions);
        var root = doc.RootElement.Clone();
        var mediaType = chosen.TryGetProperty("mediaType", out var mt) ? mt.GetString() : root.TryGetProperty("mediaType", out var rmt) ? rmt.GetString() : null;
        if (mediaType is not null && (mediaType.Contains("index", StringComparison.Ordinal) || mediaType.Contains("manifest.list", StringComparison.Ordinal)) || root.TryGetProperty("manifests", out _))
            return PickManifest(dir, root, depth + 1);
        return root;
    }

    private static string HostArchitecture => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        _ => "amd64",
    };

    [GeneratedRegex("^[a-z0-9]+:[a-f0-9]{32,128}$")]
    private static partial Regex DigestPattern();

    private static string Blob(string dir, JsonElement descriptor)
    {
        var digest = descriptor.TryGetProperty("digest", out var d) ? d.GetString() : null;
        if (digest is null || !DigestPattern().IsMatch(digest)) throw new InvalidDataException($"bad digest '{digest}'");
        var (alg, hex) = (digest[..digest.IndexOf(':')], digest[(digest.IndexOf(':') + 1)..]);
        var path = Path.Combine(dir, "blobs", alg, hex);
        if (!File.Exists(path)) throw new InvalidDataException($"blob {digest} is missing from the layout");
        return path;
    }

    private static string Inside(string dir, string relative)
    {
        var parts = Components(relative) ?? throw new InvalidDataException($"layer path '{relative}' leaves the archive");
        var path = Path.Combine([dir, .. parts]);
        if (!File.Exists(path)) throw new InvalidDataException($"layer '{relative}' is missing from the archive");
        return path;
    }

    private static Stream Decompress(Stream raw, string what)
    {
        var buffered = new BufferedStream(raw, 1 << 16);
        Span<byte> magic = stackalloc byte[4];
        var n = buffered.Read(magic);
        buffered.Seek(0, SeekOrigin.Begin);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return new GZipStream(buffered, CompressionMode.Decompress);
        if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
            throw new NotSupportedException($"{Path.GetFileName(what)} is zstd-compressed; only tar and tar+gzip are supported");
        return buffered;
    }

    /// <summary>The path's components, without empty and <c>.</c> parts; null when a <c>..</c> would climb out.</summary>
    private static List<string>? Components(string name)
    {
        var parts = new List<string>();
        foreach (var part in name.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..") return null;
            parts.Add(part);
        }
        return parts;
    }

    // ---------------------------------------------------------------- layers

    /// <summary>Applies one layer tarball to <paramref name="root"/>.</summary>
    public static void ApplyLayer(string layerPath, string root, CancellationToken ct)
    {
        using var file = File.OpenRead(layerPath);
        using var stream = Decompress(file, layerPath);
        using var reader = new TarReader(stream);
        // Paths this layer wrote: an opaque marker hides what the layers below put in its directory, not these.
        var written = new HashSet<string>(StringComparer.Ordinal);
        var directoryTimes = new List<(string Path, DateTimeOffset Time)>();
        while (reader.GetNextEntry() is { } entry)
        {
            ct.ThrowIfCancellationRequested();
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes) continue;
            var parts = Components(entry.Name);
            if (parts is null || parts.Count == 0) continue;
            var baseName = parts[^1];
            var parentParts = parts[..^1];
            if (baseName == OpaqueMarker)
            {
                var dir = Resolve(root, parentParts, create: false);
                if (dir is not null && IsDirectory(dir)) ClearExcept(root, dir, written);
                continue;
            }
            if (baseName.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var parent = Resolve(root, parentParts, create: false);
                var victim = baseName[WhiteoutPrefix.Length..];
                if (parent is not null && victim is not ("" or "." or "..")) RemoveEntry(Path.Combine(parent, victim));
                continue;
            }
            var parentDir = Resolve(root, parentParts, create: true)!;
            var path = Path.Combine(parentDir, baseName);
            written.Add(Relative(root, path));
            WriteEntry(root, entry, path);
            if (entry.EntryType == TarEntryType.Directory) directoryTimes.Add((path, entry.ModificationTime));
        }
        // Directory times last: writing into a directory changes its time.
        foreach (var (path, time) in directoryTimes.AsEnumerable().Reverse())
            try { Directory.SetLastWriteTimeUtc(path, time.UtcDateTime); } catch (IOException) { } catch (ArgumentOutOfRangeException) { }
    }

    private static void WriteEntry(string root, TarEntry entry, string path)
    {
        var kind = Kind(path);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (kind != EntryKind.Directory)
                {
                    if (kind != EntryKind.None) RemoveEntry(path);
                    Directory.CreateDirectory(path);
                }
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                if (kind != EntryKind.None) RemoveEntry(path);
                using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                    entry.DataStream?.CopyTo(output);
                break;
            case TarEntryType.SymbolicLink:
                if (kind != EntryKind.None) RemoveEntry(path);
                File.CreateSymbolicLink(path, entry.LinkName);
                break;
            case TarEntryType.HardLink:
            {
                var targetParts = Components(entry.LinkName) ?? throw new InvalidDataException($"hard link {entry.Name} points outside the image");
                var target = Resolve(root, targetParts[..^1], create: false) is { } dir ? Path.Combine(dir, targetParts[^1]) : null;
                if (target is null || Kind(target) == EntryKind.None) throw new InvalidDataException($"hard link {entry.Name} points at missing {entry.LinkName}");
                if (kind != EntryKind.None) RemoveEntry(path);
                Check(link(target, path), $"link {path}");
                break;
            }
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
            {
                if (kind != EntryKind.None) RemoveEntry(path);
                var type = entry.EntryType switch { TarEntryType.CharacterDevice => S_IFCHR, TarEntryType.BlockDevice => S_IFBLK, _ => S_IFIFO };
                var (major, minor) = entry is PosixTarEntry p ? (p.DeviceMajor, p.DeviceMinor) : (0, 0);
                Check(mknod(path, type | ((uint)entry.Mode & 0xfff), MakeDev((uint)major, (uint)minor)), $"mknod {path}");
                break;
            }
            default:
                return; // sparse files and other exotic types: skipped
        }
        Check(lchown(path, Runtime.IdMap.ToHost(entry.Uid), Runtime.IdMap.ToHost(entry.Gid)), $"chown {path}"); // into the sandboxes' id range
        if (entry is PaxTarEntry pax)
            foreach (var (key, value) in pax.ExtendedAttributes)
                if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                {
                    var bytes = Encoding.Latin1.GetBytes(value);
                    lsetxattr(path, key["SCHILY.xattr.".Length..], bytes, (nuint)bytes.Length, 0); // best effort
                }
        if (entry.EntryType != TarEntryType.SymbolicLink)
        {
            // After chown, which clears set-id bits.
            File.SetUnixFileMode(path, entry.Mode);
            if (entry.EntryType != TarEntryType.Directory)
                try { File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime); } catch (ArgumentOutOfRangeException) { }
        }
    }

    /// <summary>
    /// The host path of <paramref name="parts"/> under <paramref name="root"/>, following symlinks inside the root (an absolute
    /// target is relative to the root, <c>..</c> stops at the root). Missing directories are made when <paramref name="create"/>,
    /// else the answer is null.
    /// </summary>
    private static string? Resolve(string root, IReadOnlyList<string> parts, bool create)
    {
        var resolved = new List<string>();
        var pending = new LinkedList<string>(parts);
        var links = 0;
        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var part = node.Value;
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var path = Path.Combine([root, .. resolved, part]);
            switch (Kind(path))
            {
                case EntryKind.Directory:
                    resolved.Add(part);
                    break;
                case EntryKind.Symlink:
                    if (++links > 40) throw new InvalidDataException($"too many symlinks resolving {string.Join('/', parts)}");
                    var target = new FileInfo(path).LinkTarget ?? "";
                    if (target.StartsWith('/')) resolved.Clear();
                    foreach (var t in target.Split('/').Reverse()) pending.AddFirst(t);
                    break;
                case EntryKind.None:
                    if (!create) return null;
                    Directory.CreateDirectory(path);
                    resolved.Add(part);
                    break;
                default:
                    if (!create) return null;
                    RemoveEntry(path);
                    Directory.CreateDirectory(path);
                    resolved.Add(part);
                    break;
            }
        }
        return Path.Combine([root, .. resolved]);
    }

    /// <summary>Removes everything in <paramref name="dir"/> that the current layer did not write.</summary>
    private static void ClearExcept(string root, string dir, HashSet<string> written)
    {
        foreach (var child in Directory.EnumerateFileSystemEntries(dir).ToList())
        {
            if (!written.Contains(Relative(root, child))) RemoveEntry(child);
            else if (Kind(child) == EntryKind.Directory) ClearExcept(root, child, written);
        }
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path);

    private static void RemoveEntry(string path)
    {
        switch (Kind(path))
        {
            case EntryKind.None:
                return;
            case EntryKind.Directory:
                Sandbox.Server.Runtime.SnapshotRuntime.RemoveTree(path);
                return;
            default:
                File.Delete(path); // a symlink itself, never its target
                return;
        }
    }

    private enum EntryKind { None, Directory, Symlink, Other }

    private static EntryKind Kind(string path)
    {
        var info = new FileInfo(path);
        var attributes = info.Attributes;
        if ((int)attributes == -1) return EntryKind.None;
        if (info.LinkTarget is not null) return EntryKind.Symlink;
        return attributes.HasFlag(FileAttributes.Directory) ? EntryKind.Directory : EntryKind.Other;
    }

    private static bool IsDirectory(string path) => Kind(path) == EntryKind.Directory;

    // ---------------------------------------------------------------- libc

    private const uint S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFIFO = 0x1000;

    private static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), what);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int owner, int group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);
}
