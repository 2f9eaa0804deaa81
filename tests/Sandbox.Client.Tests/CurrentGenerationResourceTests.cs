using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>
/// The current generation's resources through the client against the real local server: snapshot tags, labels and
/// built-in image snapshots, label filters on sandboxes, glob and grep, registries.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class CurrentGenerationResourceTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Image_snapshots_of_a_builtin_carry_tags_and_labels_and_are_found_by_reference_and_label()
    {
        var name = fx.NewName("img");
        var team = fx.NewName("team");
        var v1 = await Client.Snapshots.ImportAsync(new CreateImageSnapshotRequest
        {
            Name = name, DockerImage = "base", Tag = "v1", Labels = new Dictionary<string, string> { ["team"] = team, ["tier"] = "a" },
        });
        var v2 = await Client.Snapshots.ImportAsync(new CreateImageSnapshotRequest { Name = name, DockerImage = "python", Tag = "v2", Labels = new Dictionary<string, string> { ["team"] = team } });
        try
        {
            Assert.Equal(SandboxSnapshotStatus.Ready, v1.Status);
            Assert.Equal(["v1"], v1.Tags);
            Assert.Equal([name + ":v1"], v1.References);
            Assert.Equal("a", v1.Labels["tier"]);

            Assert.Equal([v1.Id], (await Client.Snapshots.FindAsync(name + ":v1", null)).Select(s => s.Id));
            Assert.Equal([v2.Id], (await Client.Snapshots.FindAsync(name + ":v*2", null)).Select(s => s.Id));
            Assert.Equal(new[] { v1.Id, v2.Id }.Order(), (await Client.Snapshots.FindAsync(name, null)).Select(s => s.Id).Order());
            // Labels: key=value and key present, on the server and here.
            Assert.Equal([v1.Id], (await Client.Snapshots.FindAsync(null, new Dictionary<string, string?> { ["team"] = team, ["tier"] = null })).Select(s => s.Id));
            Assert.Equal(2, (await Client.Snapshots.FindAsync("img-*", new Dictionary<string, string?> { ["team"] = team })).Count);
            Assert.Empty(await Client.Snapshots.FindAsync(name + ":v1", new Dictionary<string, string?> { ["tier"] = "b" }));

            var missingTag = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Snapshots.FindAsync(name + ":v9", null));
            Assert.Equal("SnapshotNotFound", missingTag.ErrorId());
            Assert.Throws<ArgumentException>(() => Client.Snapshots.FindAsync(":v1", null).GetAwaiter().GetResult());

            var tags = await Client.Snapshots.GetTagsAsync(name);
            Assert.Equal(["v1", "v2"], tags.Tags.Select(t => t.Tag));
            Assert.Equal(v2.Id, tags.Tags[1].SnapshotId);
            Assert.Equal("SnapshotNotFound", (await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Snapshots.GetTagsAsync(fx.NewName("none")))).ErrorId());

            // A bad label key is the server's 422 naming labels.
            var bad = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Snapshots.StartImportAsync(
                new CreateImageSnapshotRequest { Name = name, DockerImage = "base", Labels = new Dictionary<string, string> { ["-bad"] = "x" } }));
            Assert.Contains("labels", bad.Field + bad.Message);
        }
        finally
        {
            await Client.Snapshots.DeleteAsync(v1.Id);
            await Client.Snapshots.DeleteAsync(v2.Id);
        }
    }

    [Fact]
    public async Task A_capture_with_a_tag_and_labels_and_sandboxes_filtered_by_label()
    {
        var team = fx.NewName("team");
        await using var box = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest
        {
            TemplateName = "base", Name = fx.NewName("lbl"), Labels = new Dictionary<string, string> { ["team"] = team },
        });
        await using var other = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("lbl") });
        Assert.Equal(team, box.Sandbox.Labels!["team"]);
        Assert.Equal([box.Sandbox.Name], (await Client.Sandboxes.FindAsync("lbl-*", null, null, new Dictionary<string, string?> { ["team"] = team })).Select(s => s.Name));
        Assert.Equal([box.Sandbox.Name], (await Client.Sandboxes.FindAsync(null, null, null, new Dictionary<string, string?> { ["team"] = null })).Select(s => s.Name).Where(n => n == box.Sandbox.Name || n == other.Sandbox.Name));
        // A literal name is fetched, then the labels are checked here.
        Assert.Empty(await Client.Sandboxes.FindAsync(other.Sandbox.Name, null, null, new Dictionary<string, string?> { ["team"] = team }));
        await Assert.ThrowsAsync<ArgumentException>(() => Client.Templates.ListAsync(new SandboxPageQuery { Labels = new Dictionary<string, string?> { ["a"] = null } }));

        var snapshot = await Client.Snapshots.CreateAsync(box.Sandbox.Name, new CaptureSnapshotRequest { Name = fx.NewName("cap"), Tag = "t1", Labels = new Dictionary<string, string> { ["team"] = team } });
        try
        {
            Assert.Equal(["t1"], snapshot.Tags);
            Assert.Equal(team, snapshot.Labels["team"]);
            Assert.Equal(snapshot.Id, (await Client.Snapshots.GetAsync(snapshot.Name + ":t1")).Id);
        }
        finally
        {
            await Client.Snapshots.DeleteAsync(snapshot.Id);
        }
    }

    [Fact]
    public async Task Glob_and_grep_answer_typed_matches()
    {
        await using var box = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("find") });
        await box.RunAsync("mkdir -p /home/user/p/sub && printf 'alpha\\nneedle one\\n' > /home/user/p/a.txt && printf 'needle two\\n' > /home/user/p/sub/b.py && printf 'x' > /home/user/p/sub/c.txt");

        var all = await Client.Files.GlobAsync(box.Sandbox, new SandboxGlobRequest { Path = "/home/user/p", Pattern = "**/*.txt" });
        Assert.False(all.Truncated);
        Assert.Equal(["/home/user/p/a.txt", "/home/user/p/sub/c.txt"], all.Matches.Select(m => m.Path));
        Assert.Equal("a.txt", all.Matches[0].Name);
        Assert.Equal(17, all.Matches[0].SizeBytes);
        Assert.Equal(box.Sandbox.Name, all.Matches[0].SandboxName);
        Assert.NotNull(all.Matches[0].ModifiedAt);

        var top = await Client.Files.GlobAsync(box.Sandbox, new SandboxGlobRequest { Path = "/home/user/p", Pattern = "*", Limit = 1 });
        Assert.Single(top.Matches);
        Assert.True(top.Truncated);
        var dirs = await Client.Files.GlobAsync(box.Sandbox, new SandboxGlobRequest { Path = "/home/user/p", Pattern = "*" });
        Assert.True(dirs.Matches.Single(m => m.Name == "sub").IsDir);

        var lines = await Client.Files.GrepAsync(box.Sandbox, new SandboxGrepRequest { Path = "/home/user/p", Pattern = "needle" });
        Assert.Equal(["/home/user/p/a.txt:2:needle one", "/home/user/p/sub/b.py:1:needle two"], lines.Matches.Select(m => m.ToString()));
        Assert.Equal(2, lines.Matches[0].LineNumber);
        Assert.Equal("needle", lines.Matches[0].Pattern);
        var py = await Client.Files.GrepAsync(box.Sandbox, new SandboxGrepRequest { Path = "/home/user/p", Pattern = "needle", Glob = "*.py" });
        Assert.Equal(["/home/user/p/sub/b.py"], py.Matches.Select(m => m.Path));

        var badPattern = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Files.GlobAsync(box.Sandbox, new SandboxGlobRequest { Path = "/home/user/p", Pattern = "[a" }));
        Assert.Contains("pattern", badPattern.Message);
        var relative = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Files.GrepAsync(box.Sandbox, new SandboxGrepRequest { Path = "p", Pattern = "x" }));
        Assert.Contains("path", relative.Message);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Files.GlobAsync(box.Sandbox, new SandboxGlobRequest { Path = "/home/user/none" }));
    }

    [Fact]
    public async Task Registries_are_created_listed_renamed_and_deleted_and_never_show_the_password()
    {
        var name = fx.NewName("reg");
        var created = await Client.Registries.CreateAsync(new CreateRegistryRequest { Name = name, Url = "registry.example.test:5000/team", Username = "me", Password = "s3cret-pw" });
        try
        {
            Assert.Equal(name, created.Name);
            Assert.Equal("registry.example.test:5000/team", created.Url);
            Assert.Equal("DOCKER_CONFIG", created.AuthType);
            Assert.Equal(created.Id, (await Client.Registries.GetAsync(name)).Id);
            Assert.Contains(name, (await Client.Registries.FindAsync("reg-*")).Select(r => r.Name));
            Assert.DoesNotContain("s3cret", new CreateRegistryRequest { Name = name, Password = "s3cret-pw" }.ToString());

            var taken = await Assert.ThrowsAsync<SandboxNameConflictException>(() => Client.Registries.CreateAsync(new CreateRegistryRequest { Name = name, Url = "ghcr.io", Username = "u", Password = "p" }));
            Assert.Equal("RegistryAlreadyExists", taken.ErrorId());
            Assert.Equal("registry", taken.ResourceType);
            var badUrl = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Registries.CreateAsync(new CreateRegistryRequest { Name = fx.NewName("reg"), Url = "ftp://x", Username = "u", Password = "p" }));
            Assert.Equal("url", badUrl.Field);

            // An image snapshot through the registry is failed at once (the local server pulls nothing), recording the registry.
            var failed = await Assert.ThrowsAsync<SandboxSnapshotFailedException>(() => Client.Snapshots.ImportAsync(
                new CreateImageSnapshotRequest { Name = fx.NewName("pull"), DockerImage = "registry.example.test:5000/team/app:1", RegistryId = created.Id }));
            Assert.Equal(created.Id, failed.Snapshot.RegistryId);
            await Client.Snapshots.DeleteAsync(failed.Snapshot.Id);

            var renamed = await Client.Registries.RenameAsync(name, name + "-b");
            Assert.Equal(name + "-b", renamed.Name);
            name = renamed.Name;
        }
        finally
        {
            await Client.Registries.DeleteAsync(name);
        }
        var gone = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Registries.GetAsync(name));
        Assert.Equal("RegistryNotFound", gone.ErrorId());
    }

    [Fact]
    public async Task A_download_resumes_a_partial_file_with_Range_while_the_ETag_matches()
    {
        await using var box = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("resume") });
        await box.RunAsync("head -c 300000 /dev/urandom > /home/user/blob.bin");
        var info = await Client.Files.GetInfoAsync(box.Sandbox, "/home/user/blob.bin");
        Assert.Equal(300000, info.Length);
        Assert.StartsWith("\"", info.ETag);
        Assert.NotNull(info.LastModified);
        var expected = new MemoryStream();
        await Client.Files.DownloadAsync(box.Sandbox, "/home/user/blob.bin", expected);

        var dir = Directory.CreateTempSubdirectory("client-resume-").FullName;
        try
        {
            var target = Path.Combine(dir, "blob.bin");
            // An interrupted download: the first 100000 bytes and the ETag they came with.
            await File.WriteAllBytesAsync(target + ".partial", expected.ToArray()[..100000]);
            await File.WriteAllTextAsync(target + ".partial.etag", info.ETag);
            var seen = new List<long>();
            var resumed = await Client.Files.DownloadFileAsync(box.Sandbox, "/home/user/blob.bin", target, resume: true, new() { Progress = new SyncProgress<long>(seen.Add) });
            Assert.Equal(100000, resumed.ResumedFrom);
            Assert.Equal(200000, resumed.Transferred);
            Assert.Equal(300000, resumed.Length);
            Assert.Equal(100000, seen[0]);
            Assert.Equal(300000, seen[^1]);
            Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(target));
            Assert.False(File.Exists(target + ".partial"));
            Assert.False(File.Exists(target + ".partial.etag"));

            // A partial file that is already whole: the 416 is checked against HEAD and the file moved into place.
            File.Delete(target);
            await File.WriteAllBytesAsync(target + ".partial", expected.ToArray());
            await File.WriteAllTextAsync(target + ".partial.etag", info.ETag);
            var whole = await Client.Files.DownloadFileAsync(box.Sandbox, "/home/user/blob.bin", target, resume: true);
            Assert.Equal(0, whole.Transferred);
            Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(target));

            // The file changed in the sandbox: If-Range no longer matches, so the whole file comes again.
            await box.RunAsync("printf tail >> /home/user/blob.bin");
            await File.WriteAllBytesAsync(target + ".partial", expected.ToArray()[..100000]);
            await File.WriteAllTextAsync(target + ".partial.etag", info.ETag);
            var restarted = await Client.Files.DownloadFileAsync(box.Sandbox, "/home/user/blob.bin", target, resume: true);
            Assert.Equal(0, restarted.ResumedFrom);
            Assert.Equal(300004, restarted.Transferred);
            Assert.NotEqual(info.ETag, restarted.ETag);
            var changed = expected.ToArray().Concat(System.Text.Encoding.ASCII.GetBytes("tail")).ToArray();
            Assert.Equal(changed, await File.ReadAllBytesAsync(target));

            // Without a partial file, a resumable download starts at 0 like any other.
            File.Delete(target);
            var fresh = await Client.Files.DownloadFileAsync(box.Sandbox, "/home/user/blob.bin", target, resume: true);
            Assert.Equal(300004, fresh.Transferred);

            var past = await Assert.ThrowsAsync<SandboxApiException>(() => Client.Files.OpenReadAsync(box.Sandbox, "/home/user/blob.bin", 400000, null));
            Assert.Equal(416, past.StatusCode);
            using var range = await Client.Files.OpenReadAsync(box.Sandbox, "/home/user/blob.bin", 300000, restarted.ETag);
            Assert.Equal(300000, range.Offset);
            Assert.Equal(300004, range.TotalLength);
            Assert.Equal("tail", await new StreamReader(range.Content).ReadToEndAsync());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
