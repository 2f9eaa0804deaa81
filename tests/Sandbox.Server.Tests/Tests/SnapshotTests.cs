using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Snapshots against the real server: capture of a sandbox's filesystem, sandboxes started from a snapshot, deletion of a
/// snapshot in use, and image import from hand-built <c>docker save</c> tarballs and OCI layouts. The images' first layer
/// is a tiny real root filesystem: the host's dash (as /bin/sh) and cat with the libraries ldd names, so that a sandbox
/// can run commands in it without any host directory.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class SnapshotTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Snapshots = "v2/sandboxes/snapshots";

    private async Task<JsonElement> WaitReadyAsync(string id)
    {
        var snap = await Poll.UntilAsync(async () => (await S.GetAsync($"{Snapshots}/{id}")).Expect(200).Json,
            j => j.Str("status") != "building", TimeSpan.FromSeconds(60), $"snapshot {id} to finish");
        Assert.True(snap.Str("status") == "ready", $"snapshot did not become ready: {snap}");
        return snap;
    }

    private async Task<JsonElement> CreateFromSnapshotAsync(string snapshotId, string tag = "from-snap", int expect = 201)
    {
        var r = await S.PostAsync(Api.Boxes, new JsonObject { ["snapshot_id"] = snapshotId, ["name"] = Names.New(tag) });
        if (r.TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            S.Track(id.GetString()!);
        r.Expect(expect);
        return r.Json;
    }

    private async Task<ExecResult> ExecAsync(JsonElement sandbox, string command, string shell = "/bin/bash")
    {
        var r = (await S.ExecRawAsync(sandbox.Str("dataplane_url"), new { command, shell })).Expect(200).Json;
        return new ExecResult(r.Str("stdout"), r.Str("stderr"), r.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Capture_then_a_new_sandbox_sees_the_captured_files_and_deletions()
    {
        await using var box = await Box.CreateAsync(S, tag: "snap-src");
        await box.RunAsync("echo captured > /home/user/captured.txt && mkdir -p /opt/snapdir && echo x > /opt/snapdir/f " +
                           "&& rm /etc/debian_version && rm -rf /etc/apt && mkdir /etc/apt && echo only > /etc/apt/only.txt");
        var name = Names.New("snap");
        var created = (await S.PostAsync($"{Api.Box(box.Name)}/snapshot", new { name })).Expect(201).Json;
        foreach (var field in new[] { "id", "name", "status", "status_message", "fs_capacity_bytes", "fs_used_bytes", "source_sandbox_id", "created_at", "updated_at" })
            Assert.True(created.TryGetProperty(field, out _), $"snapshot lacks '{field}': {created}");
        Assert.Equal(name, created.Str("name"));
        Assert.Equal(box.Id, created.Str("source_sandbox_id"));
        var id = created.Str("id");
        try
        {
            var ready = await WaitReadyAsync(id);
            Assert.True(ready.GetProperty("fs_used_bytes").GetInt64() > 0, ready.ToString());
            // The source keeps running after the freeze.
            Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());

            var listed = (await S.GetAsync($"{Snapshots}?name_contains={name}")).Expect(200).Json.GetProperty("snapshots").EnumerateArray().ToList();
            Assert.Equal([id], listed.Select(s => s.Str("id")));
            Assert.Equal(["latest"], ready.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

            // Later changes of the source are not in the snapshot.
            await box.RunAsync("echo later > /home/user/later.txt");
            var copy = await CreateFromSnapshotAsync(id);
            Assert.Equal(id, copy.Str("snapshot_id"));
            Assert.Equal("ready", copy.Str("status"));
            Assert.Equal("base", copy.Str("template_name"));
            var seen = await ExecAsync(copy, "cat /home/user/captured.txt /opt/snapdir/f; test -e /etc/debian_version && echo present; " +
                                             "ls /etc/apt; test -e /home/user/later.txt && echo later-present; true");
            Assert.Equal("captured\nx\nonly.txt\n", seen.Stdout);
            await S.DeleteAsync(Api.Box(copy.Str("name")));
        }
        finally
        {
            await S.DeleteAsync($"{Snapshots}/{id}");
        }
        (await S.GetAsync($"{Snapshots}/{id}")).ExpectError(404, "SnapshotNotFound");
    }

    [Fact]
    public async Task Deleting_a_snapshot_in_use_keeps_its_sandbox_working_across_stop_and_start()
    {
        await using var box = await Box.CreateAsync(S, tag: "snap-use");
        await box.RunAsync("echo kept > /home/user/kept.txt");
        var id = (await S.PostAsync($"{Api.Box(box.Name)}/snapshot", new { name = Names.New("snap-use") })).Expect(201).Json.Str("id");
        await WaitReadyAsync(id);
        var copy = await CreateFromSnapshotAsync(id);
        var copyName = copy.Str("name");
        try
        {
            (await S.DeleteAsync($"{Snapshots}/{id}")).Expect(204);
            (await S.GetAsync($"{Snapshots}/{id}")).ExpectError(404, "SnapshotNotFound");
            (await S.DeleteAsync($"{Snapshots}/{id}")).ExpectError(404, "SnapshotNotFound");
            Assert.Equal("kept\n", (await ExecAsync(copy, "cat /home/user/kept.txt")).Stdout);
            (await S.PostAsync($"{Api.Box(copyName)}/stop", new { })).Expect(200);
            (await S.PostAsync($"{Api.Box(copyName)}/start", new { })).Expect(200);
            Assert.Equal("kept\n", (await ExecAsync(copy, "cat /home/user/kept.txt")).Stdout);
            // A deleted snapshot starts nothing new.
            (await S.PostAsync(Api.Boxes, new { snapshot_id = id })).ExpectError(404, "SnapshotNotFound");
        }
        finally
        {
            await S.DeleteAsync(Api.Box(copyName));
        }
    }

    [Fact]
    public async Task Unknown_snapshot_and_both_sources_are_rejected()
    {
        (await S.GetAsync($"{Snapshots}/{Guid.NewGuid()}")).ExpectError(404, "SnapshotNotFound");
        (await S.DeleteAsync($"{Snapshots}/{Guid.NewGuid()}")).ExpectError(404, "SnapshotNotFound");
        (await S.PostAsync(Api.Boxes, new { snapshot_id = Guid.NewGuid().ToString() })).ExpectError(404, "SnapshotNotFound");
        (await S.PostAsync(Api.Boxes, new { snapshot_id = Guid.NewGuid().ToString(), template_name = "base" })).ExpectValidation("snapshot_id");
        (await S.PostAsync($"{Api.Box("no-such-box-x")}/snapshot", new { name = Names.New("s") })).ExpectError(404, "SandboxNotFound");
    }

    [Theory]
    [InlineData("python:3.12")]
    [InlineData("docker.io/library/alpine:latest")]
    [InlineData("relative/path.tar")]
    public async Task Registry_references_become_failed_snapshots_saying_nothing_is_pulled(string image)
    {
        var created = (await S.PostAsync(Snapshots, new { name = Names.New("img"), docker_image = image, fs_capacity_bytes = 1L << 30 })).Expect(201).Json;
        Assert.Equal("failed", created.Str("status"));
        var message = created.Str("status_message");
        Assert.Contains("pulls no images", message);
        Assert.Contains("OCI image layout", message);
        Assert.Contains("docker save", message);
        // A failed snapshot starts nothing, and says why.
        var r = await S.PostAsync(Api.Boxes, new { snapshot_id = created.Str("id") });
        r.ExpectError(400, "NotReady");
        Assert.Contains("pulls no images", r.Text);
        (await S.DeleteAsync($"{Snapshots}/{created.Str("id")}")).Expect(204);
    }

    [Fact]
    public async Task A_local_path_without_an_image_is_422_naming_docker_image()
    {
        var dir = Directory.CreateTempSubdirectory("snap-empty-").FullName;
        try
        {
            foreach (var image in new[] { dir, Path.Combine(dir, "missing.tar"), "oci:" + dir })
                (await S.PostAsync(Snapshots, new { name = Names.New("img"), docker_image = image, fs_capacity_bytes = 1L << 30 })).ExpectValidation("docker_image");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Docker_save_tarball_is_unpacked_with_whiteouts()
    {
        var dir = Directory.CreateTempSubdirectory("snap-docker-").FullName;
        try
        {
            var tarball = Path.Combine(dir, "image.tar");
            ImageBuilder.WriteDockerSave(tarball, [ImageBuilder.BaseLayer(), ImageBuilder.ChangeLayer()]);
            await CheckImageAsync(tarball);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Oci_layout_is_unpacked_with_whiteouts_and_a_deleted_image_snapshot_in_use_keeps_its_sandbox()
    {
        var dir = Directory.CreateTempSubdirectory("snap-oci-").FullName;
        try
        {
            ImageBuilder.WriteOciLayout(dir, [ImageBuilder.BaseLayer(), ImageBuilder.ChangeLayer()]);
            var (id, sandbox) = await CheckImageAsync(dir, keep: true);
            var name = sandbox.Str("name");
            var files = Path.Combine(S.DataDir, "snapshots", id);
            Assert.True(Directory.Exists(files));
            (await S.DeleteAsync($"{Snapshots}/{id}")).Expect(204);
            (await S.GetAsync($"{Snapshots}/{id}")).ExpectError(404, "SnapshotNotFound");
            Assert.True(Directory.Exists(files), "the files of a snapshot in use were removed");
            Assert.Equal("hello\n", (await ExecAsync(sandbox, "cat /etc/hello.txt", "/bin/sh")).Stdout);
            (await S.PostAsync($"{Api.Box(name)}/stop", new { })).Expect(200);
            (await S.PostAsync($"{Api.Box(name)}/start", new { })).Expect(200).Json.Str("status").Equals("ready");
            Assert.Equal("hello\n", (await ExecAsync(sandbox, "cat /etc/hello.txt", "/bin/sh")).Stdout);
            (await S.DeleteAsync(Api.Box(name))).Expect(204);
            await Poll.UntilAsync(() => Task.FromResult(Directory.Exists(files)), exists => !exists, TimeSpan.FromSeconds(20), "the deleted snapshot's files to go");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Imports, starts a sandbox from the image (shell /bin/sh) and checks what the whiteouts left.</summary>
    private async Task<(string Id, JsonElement Sandbox)> CheckImageAsync(string image, bool keep = false)
    {
        var created = (await S.PostAsync(Snapshots, new { name = Names.New("img"), docker_image = image, fs_capacity_bytes = 1L << 30 })).Expect(201).Json;
        Assert.Equal(image, created.Str("docker_image"));
        var id = created.Str("id");
        await WaitReadyAsync(id);
        var sandbox = await CreateFromSnapshotAsync(id, "from-img");
        Assert.Equal(id, sandbox.Str("snapshot_id"));
        var listing = string.Join("\n", Directory.EnumerateFileSystemEntries(Path.Combine(S.DataDir, "snapshots", id, "fs"), "*", SearchOption.AllDirectories).Take(60));
        var probe = await S.ExecRawAsync(sandbox.Str("dataplane_url"), new { command = "true", shell = "/bin/sh" });
        Assert.True(probe.Code == 200, $"{probe}\n{listing}");
        var r = await ExecAsync(sandbox, "cat /etc/keep.txt /etc/hello.txt /opt/dir/b.txt; for f in /etc/gone.txt /opt/dir/a.txt /opt/dir/sub; do test -e $f && echo \"$f present\"; done; test -e /usr/bin/bash && echo host-visible; true", "/bin/sh");
        Assert.Equal("keep\nhello\nb\n", r.Stdout);
        if (keep) return (id, sandbox);
        await S.DeleteAsync(Api.Box(sandbox.Str("name")));
        (await S.DeleteAsync($"{Snapshots}/{id}")).Expect(204);
        return (id, sandbox);
    }
}

/// <summary>Builds tiny image layers and archives by hand (no Docker needed).</summary>
internal static class ImageBuilder
{
    public sealed record Entry(string Name, TarEntryType Type, byte[]? Data = null, string? Link = null, UnixFileMode Mode = (UnixFileMode)0b111_101_101);

    private static readonly string[] Binaries = ["/bin/sh", "/bin/cat"];

    /// <summary>A root filesystem with /bin/sh (dash), cat and their libraries, plus files the second layer removes.</summary>
    public static byte[] BaseLayer()
    {
        var entries = new List<Entry>
        {
            new("usr/", TarEntryType.Directory), new("usr/bin/", TarEntryType.Directory), new("usr/lib/", TarEntryType.Directory),
            new("usr/lib64/", TarEntryType.Directory), new("bin", TarEntryType.SymbolicLink, Link: "usr/bin"),
            new("lib", TarEntryType.SymbolicLink, Link: "usr/lib"), new("lib64", TarEntryType.SymbolicLink, Link: "usr/lib64"),
            new("etc/", TarEntryType.Directory), new("tmp/", TarEntryType.Directory, Mode: (UnixFileMode)0b111_111_111),
            new("etc/keep.txt", TarEntryType.RegularFile, "keep\n"u8.ToArray(), Mode: (UnixFileMode)0b110_100_100),
            new("etc/gone.txt", TarEntryType.RegularFile, "gone\n"u8.ToArray(), Mode: (UnixFileMode)0b110_100_100),
            new("opt/", TarEntryType.Directory), new("opt/dir/", TarEntryType.Directory), new("opt/dir/sub/", TarEntryType.Directory),
            new("opt/dir/a.txt", TarEntryType.RegularFile, "a\n"u8.ToArray()),
        };
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var binary in Binaries)
        {
            files.Add(binary);
            foreach (var lib in Libraries(binary)) files.Add(lib);
        }
        var dirs = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            // Place each file at its canonical directory (/bin -> /usr/bin, /lib64 -> /usr/lib64 on merged-usr hosts).
            var dir = Canonical(Path.GetDirectoryName(file)!).TrimStart('/');
            for (var d = dir; d.Length > 0 && d.Contains('/'); d = Path.GetDirectoryName(d)!) dirs.Add(d + "/");
            dirs.Add(dir + "/");
            entries.Add(new(dir + "/" + Path.GetFileName(file), TarEntryType.RegularFile, File.ReadAllBytes(file)));
        }
        entries.InsertRange(0, dirs.Select(d => new Entry(d, TarEntryType.Directory)));
        return Layer(entries);
    }

    /// <summary>Adds /etc/hello.txt, deletes /etc/gone.txt (.wh.) and makes /opt/dir opaque with a new b.txt.</summary>
    public static byte[] ChangeLayer() => Layer(
    [
        new("etc/", TarEntryType.Directory),
        new("etc/hello.txt", TarEntryType.RegularFile, "hello\n"u8.ToArray()),
        new("etc/.wh.gone.txt", TarEntryType.RegularFile, []),
        new("opt/dir/", TarEntryType.Directory),
        new("opt/dir/b.txt", TarEntryType.RegularFile, "b\n"u8.ToArray()),
        new("opt/dir/.wh..wh..opq", TarEntryType.RegularFile, []),
    ]);

    private static string Canonical(string dir)
    {
        var info = new DirectoryInfo(dir);
        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        var resolved = target?.FullName ?? info.FullName;
        var parent = Path.GetDirectoryName(resolved);
        return parent is null || parent == "/" ? resolved : Path.Combine(Canonical(parent), Path.GetFileName(resolved));
    }

    private static IEnumerable<string> Libraries(string binary)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ldd", binary) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        foreach (var line in output.Split('\n'))
        {
            var path = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.StartsWith('/'));
            if (path is not null && File.Exists(path)) yield return path;
        }
    }

    public static byte[] Layer(IEnumerable<Entry> entries)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                var entry = new PaxTarEntry(e.Type, e.Name) { Mode = e.Mode, Uid = 0, Gid = 0, ModificationTime = DateTimeOffset.UtcNow };
                if (e.Link is not null) entry.LinkName = e.Link;
                if (e.Data is not null) entry.DataStream = new MemoryStream(e.Data);
                writer.WriteEntry(entry);
            }
        }
        return ms.ToArray();
    }

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static void WriteDockerSave(string path, IReadOnlyList<byte[]> layers)
    {
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        void Add(string name, byte[] data) => writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
        var names = layers.Select(l => $"{Sha(l)}/layer.tar").ToList();
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = $"{Sha(config)}.json",
            ["RepoTags"] = new JsonArray("snaptest:latest"),
            ["Layers"] = new JsonArray(names.Select(n => (JsonNode)n).ToArray()),
        });
        Add("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        Add($"{Sha(config)}.json", config);
        for (var i = 0; i < layers.Count; i++)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, Path.GetDirectoryName(names[i]) + "/") { Mode = (UnixFileMode)0b111_101_101 });
            Add(names[i], layers[i]);
        }
    }

    /// <summary>An OCI layout; the second layer is gzipped to exercise both media types; <paramref name="imageConfig"/> is the config's <c>config</c> (USER, WORKDIR, ENV).</summary>
    public static void WriteOciLayout(string dir, IReadOnlyList<byte[]> layers, JsonObject? imageConfig = null)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256")).FullName;
        string Blob(byte[] data)
        {
            var digest = Sha(data);
            File.WriteAllBytes(Path.Combine(blobs, digest), data);
            return "sha256:" + digest;
        }
        var configJson = JsonNode.Parse("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""")!.AsObject();
        if (imageConfig is not null) configJson["config"] = imageConfig.DeepClone();
        var config = Encoding.UTF8.GetBytes(configJson.ToJsonString());
        var layerDescriptors = new JsonArray();
        for (var i = 0; i < layers.Count; i++)
        {
            var gzip = i % 2 == 1;
            var data = layers[i];
            if (gzip)
            {
                using var ms = new MemoryStream();
                using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
                data = ms.ToArray();
            }
            layerDescriptors.Add(new JsonObject
            {
                ["mediaType"] = gzip ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar",
                ["digest"] = Blob(data),
                ["size"] = data.Length,
            });
        }
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = Blob(config), ["size"] = config.Length },
            ["layers"] = layerDescriptors,
        }.ToJsonString());
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["digest"] = Blob(manifest),
                ["size"] = manifest.Length,
                ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" },
            }),
        };
        File.WriteAllText(Path.Combine(dir, "index.json"), index.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }
}
