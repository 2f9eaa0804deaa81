using System.Formats.Tar;
using Sandbox.Module.Support;

namespace Sandbox.Module.Support.Tests;

/// <summary>Directory trees as tars (<see cref="SandboxTarTree"/>): what is kept, and every way a tar could escape the destination.</summary>
public sealed class SandboxTarTreeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tartree-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void PacksAndExtractsModesSymlinksAndNestedDirectories()
    {
        var source = Path.Combine(_dir, "src");
        Directory.CreateDirectory(Path.Combine(source, "a", "b"));
        File.WriteAllText(Path.Combine(source, "a", "b", "deep.txt"), "deep");
        File.WriteAllText(Path.Combine(source, "run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(source, "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(source, "link"), "a/b/deep.txt");
        var archive = Path.Combine(_dir, "t.tar");
        SandboxTreeSize packed;
        using (var stream = File.Create(archive)) packed = SandboxTarTree.Pack(source, "tree", stream);
        Assert.Equal(new SandboxTreeSize(2, 14), packed);

        var target = Path.Combine(_dir, "out", "copy");
        var extracted = SandboxTarTree.Extract(archive, "tree", target);
        Assert.Equal(packed, extracted);
        Assert.Equal("deep", File.ReadAllText(Path.Combine(target, "a", "b", "deep.txt")));
        Assert.Equal("a/b/deep.txt", new FileInfo(Path.Combine(target, "link")).LinkTarget);
        Assert.True(File.GetUnixFileMode(Path.Combine(target, "run.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Single(Directory.GetFileSystemEntries(Path.Combine(_dir, "out"))); // no staging directory left
        Assert.Throws<SandboxDestinationExistsException>(() => SandboxTarTree.Extract(archive, "tree", target));
    }

    public static TheoryData<string, string?, string> Unsafe => new()
    {
        { "tree/../evil", null, "'..'" },
        { "/etc/evil", null, "absolute" },
        { "other/file", null, "not under" },
        { "tree/./x", null, "'..', '.'" },
        { "tree/up", "../outside", "outside" },
        { "tree/abs", "/etc/passwd", "absolute" },
        { "tree/a/deep", "../../../x", "outside" },
    };

    [Theory]
    [MemberData(nameof(Unsafe))]
    public void RefusesEntriesThatEscapeBeforeWritingAnything(string name, string? link, string why)
    {
        var archive = Path.Combine(_dir, "bad.tar");
        using (var stream = File.Create(archive))
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tree/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "tree/fine.txt") { DataStream = new MemoryStream("ok"u8.ToArray()) });
            writer.WriteEntry(link is null
                ? new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("bad"u8.ToArray()) }
                : new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = link });
        }
        var target = Path.Combine(_dir, "out", "copy");
        var e = Assert.Throws<SandboxUnsafeArchiveException>(() => SandboxTarTree.Extract(archive, "tree", target));
        Assert.Contains(why, e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
        Assert.False(File.Exists(Path.Combine(_dir, "evil")));
    }

    [Fact]
    public void RefusesAnEntryThroughASymlinkAndDevices()
    {
        var archive = Path.Combine(_dir, "through.tar");
        using (var stream = File.Create(archive))
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tree/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tree/a/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "tree/a/s") { LinkName = ".." });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "tree/a/s/l") { LinkName = "../../x" });
        }
        Assert.Contains("goes through the symbolic link", Assert.Throws<SandboxUnsafeArchiveException>(() => SandboxTarTree.Extract(archive, "tree", Path.Combine(_dir, "o1"))).Message);

        using (var stream = File.Create(archive))
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tree/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "tree/null"));
        }
        Assert.Contains("CharacterDevice", Assert.Throws<SandboxUnsafeArchiveException>(() => SandboxTarTree.Extract(archive, "tree", Path.Combine(_dir, "o2"))).Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "o1")));
    }
}
