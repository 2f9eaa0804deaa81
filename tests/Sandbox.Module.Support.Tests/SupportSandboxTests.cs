using System.Security.Cryptography;
using Sandbox.Client;
using Sandbox.Module.Support;
using Sandbox.Client.Tests.Infrastructure;
using SandboxInfo = Sandbox.Client.Sandbox;

namespace Sandbox.Module.Support.Tests;

/// <summary>
/// The module's support code against a real sandbox of the shared local server: file copies the way <c>Copy-SandboxItem</c>
/// does them (paths, pump, progress tracker, transfer objects), name completion over real templates and sandboxes, and a
/// real non-zero exit turned into <see cref="SandboxCommandFailedException"/>.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ModuleSupportSandboxTests(ServerFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private SandboxClient Client => fx.Client;
    private SandboxInfo _box = null!;
    private DirectoryInfo _local = null!;

    public async Task InitializeAsync()
    {
        _local = Directory.CreateTempSubdirectory("sbx-module-");
        _box = (await fx.Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("ms") })).Sandbox;
    }

    public async Task DisposeAsync()
    {
        try
        {
            await fx.Client.Sandboxes.DeleteAsync(_box.Name);
        }
        catch (SandboxNotFoundException)
        {
        }
        _local.Delete(recursive: true);
    }

    /// <summary>What one pumped progress message looked like on the consuming thread.</summary>
    private sealed record Shown(long Bytes, int Thread, bool Due, int Percent, string Status);

    /// <summary>
    /// Runs a copy the way the cmdlet's <c>Transfer</c> does: the work on the thread pool, every progress message handled by
    /// <see cref="PipelinePump{T}"/> on one "pipeline" thread and fed to a <see cref="TransferProgressTracker"/>. Bounded.
    /// </summary>
    private static async Task<(T Result, List<Shown> Shown, int PipelineThread, TransferProgressTracker Tracker)> Transfer<T>(
        long? length, Func<IProgress<long>, CancellationToken, Task<T>> copy)
    {
        var shown = new List<Shown>();
        var tracker = new TransferProgressTracker(length);
        var pipelineThread = 0;
        using var cts = new CancellationTokenSource(Bound);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                pipelineThread = Environment.CurrentManagedThreadId;
                using var pump = new PipelinePump<long>();
                done.SetResult(pump.Run(copy(pump.AsProgress(), cts.Token), bytes =>
                {
                    var due = tracker.Update(bytes);
                    shown.Add(new Shown(bytes, Environment.CurrentManagedThreadId, due, tracker.PercentComplete, tracker.StatusText));
                }));
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true };
        thread.Start();
        var result = await done.Task.WaitAsync(Bound + TimeSpan.FromSeconds(10));
        return (result, shown, pipelineThread, tracker);
    }

    [Fact]
    public async Task Upload_then_download_round_trip_with_progress_on_the_pipeline_thread()
    {
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 77);
        var source = Path.Combine(_local.FullName, "payload.bin");
        await File.WriteAllBytesAsync(source, data);

        // Up: "xfer/" names a directory, so the file keeps its name under it.
        var target = SandboxPaths.UploadTarget(source, "xfer/", manySources: false);
        Assert.Equal("xfer/payload.bin", target);
        var started = DateTime.UtcNow;
        var (up, upShown, upThread, upTracker) = await Transfer(data.Length, (p, ct) => Client.Files.UploadFileAsync(_box, source, target, new() { Progress = p }, ct));
        var upload = new SandboxFileTransfer
        {
            Sandbox = _box.Name,
            Direction = SandboxTransferDirection.ToSandbox,
            Source = source,
            Destination = up.Path,
            Length = up.Written,
            Duration = DateTime.UtcNow - started,
        };
        Assert.Equal("/home/user/xfer/payload.bin", upload.ToString());
        Assert.Equal(data.Length, upload.Length);
        Assert.True(upShown.Count > 5, $"{upShown.Count} progress messages for 3 MiB");
        Assert.All(upShown, s => Assert.Equal(upThread, s.Thread));
        Assert.Equal(upShown.Select(s => s.Bytes).Order(), upShown.Select(s => s.Bytes));
        Assert.True(upShown[0].Due, "the first report is shown at once");
        Assert.True(upShown[0].Bytes < data.Length);
        Assert.Equal(data.Length, upShown[^1].Bytes);
        Assert.True(upShown[^1].Due, "completion is always shown");
        Assert.Equal(100, upShown[^1].Percent);
        Assert.StartsWith("3.0 MiB of 3.0 MiB (", upShown[^1].Status);
        Assert.True(upTracker.IsWorthShowing);

        var sum = await Client.Commands.RunAsync(_box, new CommandRequest("sha256sum xfer/payload.bin | cut -d' ' -f1"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "\n", sum.Stdout);

        // Down: into an existing local directory, so the file keeps its name there; the size is unknown until the end.
        var downDir = Directory.CreateDirectory(Path.Combine(_local.FullName, "down")).FullName;
        var local = SandboxPaths.DownloadTarget(upload.Destination, downDir, manySources: false);
        Assert.Equal(Path.Combine(downDir, "payload.bin"), local);
        var (n, downShown, downThread, downTracker) = await Transfer<long>(null, (p, ct) => Client.Files.DownloadFileAsync(_box, upload.Destination, local, new() { Progress = p }, ct));
        var download = new SandboxFileTransfer
        {
            Sandbox = _box.Name,
            Direction = SandboxTransferDirection.FromSandbox,
            Source = upload.Destination,
            Destination = Path.GetFullPath(local),
            Length = n,
        };
        Assert.Equal(data.Length, download.Length);
        Assert.Equal(data, await File.ReadAllBytesAsync(download.Destination));
        Assert.Equal([Path.Combine(downDir, "payload.bin")], Directory.GetFiles(downDir)); // no partial file left
        Assert.True(downShown.Count > 5);
        Assert.All(downShown, s => Assert.Equal(downThread, s.Thread));
        Assert.Equal(data.Length, downShown[^1].Bytes);
        Assert.True(downShown[0].Due);
        Assert.All(downShown, s => Assert.Equal(-1, s.Percent));
        Assert.Equal(data.Length, downTracker.BytesDone);
        Assert.StartsWith("3.0 MiB (", downTracker.StatusText);
        Assert.Equal(-1, downTracker.SecondsRemaining);
    }

    [Fact]
    public async Task Several_files_into_one_sandbox_directory_keep_their_names()
    {
        var files = new[] { "a.txt", "b.txt" }.Select(n => Path.Combine(_local.FullName, n)).ToList();
        foreach (var f in files) await File.WriteAllTextAsync(f, Path.GetFileName(f) + "!");
        foreach (var f in files)
        {
            var target = SandboxPaths.UploadTarget(f, "/tmp/many", manySources: true);
            Assert.Equal("/tmp/many/" + Path.GetFileName(f), target);
            var (r, _, _, _) = await Transfer(new FileInfo(f).Length, (p, ct) => Client.Files.UploadFileAsync(_box, f, target, new() { Progress = p }, ct));
            Assert.Equal(target, r.Path);
            Assert.Equal(6, r.Written);
        }
        Assert.Equal("a.txt!b.txt!", (await Client.Commands.RunAsync(_box, new CommandRequest("cat /tmp/many/a.txt /tmp/many/b.txt"))).Stdout);

        // Back, several at once, into a local directory that does not exist yet but is named with a trailing separator.
        var into = Path.Combine(_local.FullName, "back") + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(into);
        foreach (var name in new[] { "a.txt", "b.txt" })
        {
            var local = SandboxPaths.DownloadTarget("/tmp/many/" + name, into, manySources: true);
            var (bytes, _, _, _) = await Transfer<long>(null, (p, ct) => Client.Files.DownloadFileAsync(_box, "/tmp/many/" + name, local, new() { Progress = p }, ct));
            Assert.Equal(6, bytes);
            Assert.Equal(name + "!", await File.ReadAllTextAsync(Path.Combine(into, name)));
        }
    }

    [Fact]
    public async Task Missing_files_and_directories_fail_with_typed_errors_and_leave_nothing_behind()
    {
        // A file missing in the sandbox: the typed not-found error, and no local file (nor partial file) appears.
        var local = Path.Combine(_local.FullName, "never.bin");
        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Transfer<long>(null, (p, ct) => Client.Files.DownloadFileAsync(_box, "no/such/file.bin", local, new() { Progress = p }, ct)));
        Assert.Equal("SandboxPathNotFound", missing.ErrorId());
        Assert.Equal(404, missing.StatusCode);
        Assert.Equal(SandboxErrorCategory.ObjectNotFound, missing.CategoryName());
        Assert.Contains("/home/user/no/such/file.bin", missing.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_local.FullName));

        // A local file that is missing: the local not-found error (the cmdlet's SandboxLocalPathNotFound), nothing sent.
        var gone = Path.Combine(_local.FullName, "gone.txt");
        await Assert.ThrowsAsync<FileNotFoundException>(() => Transfer(0, (p, ct) => Client.Files.UploadFileAsync(_box, gone, "gone.txt", new() { Progress = p }, ct)));
        Assert.NotEqual(0, (await Client.Commands.RunAsync(_box, new CommandRequest("test -e gone.txt"))).ExitCode);

        // A local directory cannot be read as a file: a local error, not a server call (the cmdlet refuses it before this).
        var dir = Directory.CreateDirectory(Path.Combine(_local.FullName, "adir")).FullName;
        var local2 = await Assert.ThrowsAnyAsync<Exception>(() => Transfer(null, (p, ct) => Client.Files.UploadFileAsync(_box, dir, "adir", new() { Progress = p }, ct)));
        Assert.True(local2 is UnauthorizedAccessException or IOException, local2.ToString());
        Assert.NotEqual(0, (await Client.Commands.RunAsync(_box, new CommandRequest("test -e adir"))).ExitCode);

        // A directory in the sandbox, either way: refused as a directory.
        await Client.Commands.RunAsync(_box, new CommandRequest("mkdir -p /tmp/isdir"));
        var src = Path.Combine(_local.FullName, "f.txt");
        await File.WriteAllTextAsync(src, "x");
        var ontoDir = await Assert.ThrowsAsync<SandboxValidationException>(() => Transfer(1, (p, ct) => Client.Files.UploadFileAsync(_box, src, SandboxPaths.UploadTarget(src, "/tmp/isdir", false), new() { Progress = p }, ct)));
        Assert.Equal("IsADirectory", ontoDir.ErrorType);
        var fromDir = await Assert.ThrowsAsync<SandboxValidationException>(() => Transfer<long>(null, (p, ct) => Client.Files.DownloadFileAsync(_box, "/tmp/isdir", Path.Combine(_local.FullName, "isdir"), new() { Progress = p }, ct)));
        Assert.Equal("IsADirectory", fromDir.ErrorType);
        Assert.False(File.Exists(Path.Combine(_local.FullName, "isdir")));
        Assert.Equal(["f.txt"], Directory.GetFiles(_local.FullName).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Completion_over_the_real_templates_and_sandboxes()
    {
        // As TemplateNameCompleter builds its list.
        var templates = new List<(string, string?)>();
        await foreach (var t in Client.Templates.ListAllAsync()) templates.Add((t.Name, $"{t.Name}: {t.Image} ({t.Resources})"));
        var b = NameCompletion.Complete(templates, "ba");
        var baseTemplate = Assert.Single(b, c => c.ListItemText == "base");
        Assert.Equal("base", baseTemplate.CompletionText);
        Assert.StartsWith("base: ", baseTemplate.ToolTip);
        Assert.Contains("'python'", NameCompletion.Complete(templates, "'PY").Select(c => c.CompletionText));
        Assert.Contains("\"python\"", NameCompletion.Complete(templates, "\"py").Select(c => c.CompletionText));
        Assert.Contains("python", NameCompletion.Complete(templates, "*th*").Select(c => c.CompletionText));
        Assert.DoesNotContain("base", NameCompletion.Complete(templates, "*th*").Select(c => c.CompletionText));

        // As SandboxNameCompleter builds its list: two more sandboxes with a common prefix.
        var prefix = "nc" + Guid.NewGuid().ToString("N")[..6];
        var made = new List<string>();
        try
        {
            foreach (var suffix in new[] { "-b", "-a" })
            {
                var s = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = prefix + suffix })).Sandbox;
                made.Add(s.Name);
            }
            var sandboxes = new List<(string, string?)>();
            await foreach (var s in Client.Sandboxes.ListAllAsync(new SandboxListQuery { SortBy = SandboxSortBy.Name, Ascending = true }))
                sandboxes.Add((s.Name, $"{s.Name}: {s.Status} ({s.TemplateName})"));
            Assert.Equal([prefix + "-a", prefix + "-b"], NameCompletion.Complete(sandboxes, prefix).Select(c => c.CompletionText));
            Assert.Equal([prefix + "-a", prefix + "-b"], NameCompletion.Complete(sandboxes, prefix.ToUpperInvariant()).Select(c => c.CompletionText));
            Assert.Equal([prefix + "-b"], NameCompletion.Complete(sandboxes, prefix + "*b").Select(c => c.CompletionText));
            Assert.Equal([prefix + "-a", prefix + "-b"], NameCompletion.Complete(sandboxes, prefix + "-[ab]").Select(c => c.CompletionText));
            Assert.Equal(["'" + prefix + "-a'"], NameCompletion.Complete(sandboxes, "'" + prefix + "-a").Select(c => c.CompletionText));
            var tip = NameCompletion.Complete(sandboxes, prefix + "-a").Single().ToolTip;
            Assert.Matches($"^{prefix}-a: \\w+ \\(base\\)$", tip);
            Assert.Contains(NameCompletion.Complete(sandboxes, ""), c => c.ListItemText == _box.Name);
        }
        finally
        {
            foreach (var name in made) await Client.Sandboxes.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task A_real_non_zero_exit_becomes_SandboxCommandFailedException_carrying_the_result()
    {
        var result = await Client.Commands.RunAsync(_box, new CommandRequest("echo partial; echo 'it broke' >&2; exit 3"));
        Assert.False(result.Succeeded);
        var e = new SandboxCommandFailedException(result);
        Assert.Same(result, e.Result);
        Assert.Equal("partial\n", e.Result.Stdout);
        Assert.Equal(3, e.Result.ExitCode);
        Assert.Equal(_box.Name, e.TargetName);
        Assert.Equal("SandboxCommandFailed", e.ErrorId);
        Assert.Equal($"the command 'echo partial; echo 'it broke' >&2; exit 3' in sandbox '{_box.Name}' exited with code 3: it broke", e.Message);

        var killed = await Client.Commands.RunAsync(_box, new CommandRequest("kill -9 $$"));
        Assert.Equal($"the command 'kill -9 $$' in sandbox '{_box.Name}' exited with code 137", new SandboxCommandFailedException(killed).Message);
    }
}
