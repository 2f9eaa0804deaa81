using System.Text.Json;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>
/// The current generation's create fields through the client against the real local server: no source, a snapshot by
/// <c>name[:tag]</c>, <c>delete_after_stop_seconds</c>, <c>run_config</c> (on the sandbox and per command), labels and
/// <c>close_stdin</c>.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class CurrentGenerationCreateTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Create_without_a_source_boots_the_servers_default_python()
    {
        await using var box = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { Name = fx.NewName("nosrc") });
        Assert.Equal(SandboxStatus.Ready, box.Sandbox.Status);
        Assert.Null(box.Sandbox.TemplateName);
        Assert.Null(box.Sandbox.SnapshotId);
        // The current generation's forms get the hosted API's idle default.
        Assert.Equal(600, box.Sandbox.IdleTtlSeconds);
        var r = await box.RunAsync("python3 --version");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Python 3", (r.Stdout + r.Stderr).Trim());
    }

    [Fact]
    public async Task Create_from_a_snapshot_by_name_and_tag()
    {
        var source = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("ref-src") })).Sandbox;
        SandboxSnapshot? snapshot = null;
        try
        {
            await Client.Commands.RunAsync(source.Name, new CommandRequest("echo by-ref > /home/user/r.txt"));
            snapshot = await Client.Snapshots.CreateAsync(source.Name, fx.NewName("ref"));
            foreach (var reference in new[] { snapshot.Name + ":latest", snapshot.Name, snapshot.Id })
            {
                await using var copy = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { SnapshotReference = reference, Name = fx.NewName("from-ref") });
                Assert.Equal(snapshot.Id, copy.Sandbox.SnapshotId);
                Assert.Equal("by-ref", (await copy.RunAsync("cat /home/user/r.txt")).Stdout.Trim());
            }
            var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() =>
                Client.Sandboxes.CreateAsync(new CreateSandboxRequest { SnapshotReference = snapshot.Name + ":no-such-tag", Name = fx.NewName("from-ref") }));
            Assert.Equal("SnapshotNotFound", missing.ErrorType);
            var two = await Assert.ThrowsAsync<SandboxValidationException>(() =>
                Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", SnapshotReference = snapshot.Name, Name = fx.NewName("two") }));
            Assert.Contains("snapshot", two.Message);
        }
        finally
        {
            if (snapshot is not null) await Client.Snapshots.DeleteAsync(snapshot.Id);
            await Client.Sandboxes.DeleteAsync(source.Name);
        }
    }

    [Fact]
    public async Task Run_config_delete_after_stop_and_labels_are_sent_and_read_back()
    {
        await using var box = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest
        {
            Name = fx.NewName("rc"),
            RunConfig = new SandboxRunConfig { User = "user", WorkingDirectory = "/tmp", Environment = new Dictionary<string, string> { ["RC_VAR"] = "from-box" } },
            DeleteAfterStopSeconds = 3600,
            Labels = new Dictionary<string, string> { ["team"] = "sdk" },
        });
        var s = box.Sandbox;
        Assert.Equal("user", s.RunConfig?.User);
        Assert.Equal("/tmp", s.RunConfig?.WorkingDirectory);
        Assert.Equal("from-box", s.RunConfig?.Environment?["RC_VAR"]);
        Assert.Equal(3600, s.DeleteAfterStopSeconds);
        Assert.Null(s.StoppedAt);
        Assert.Equal("sdk", s.Labels?["team"]);

        var r = await box.RunAsync("id -u; pwd; echo $RC_VAR");
        Assert.Equal("1000\n/tmp\nfrom-box\n", r.Stdout);

        // Per command, buffered: run_config over the sandbox's (user and directory replace, variables merge).
        var root = await box.RunAsync(new CommandRequest("id -u; pwd; echo $RC_VAR $CMD_VAR")
        {
            RunConfig = new SandboxRunConfig { User = "root", WorkingDirectory = "/", Environment = new Dictionary<string, string> { ["CMD_VAR"] = "cmd" } },
        });
        Assert.Equal("0\n/\nfrom-box cmd\n", root.Stdout);

        // Per command, streamed (WebSocket execute frame), with close_stdin: cat sees end-of-file at once.
        await using (var session = await box.StartCommandAsync(new CommandRequest("cat; id -un") { RunConfig = new SandboxRunConfig { User = "1000" }, CloseStdin = true }))
        {
            Assert.Equal(CommandTransport.WebSocket, session.Transport);
            var streamed = await session.CollectAsync();
            Assert.Equal(0, streamed.ExitCode);
            Assert.Equal("user\n", streamed.Stdout);
        }

        // PATCH: run_config merges (user replaced, variables merged), delete_after_stop replaced.
        var updated = await Client.Sandboxes.UpdateAsync(s.Name, new UpdateSandboxRequest
        {
            RunConfig = new SandboxRunConfig { User = "root", Environment = new Dictionary<string, string> { ["MORE"] = "m" } },
            DeleteAfterStopSeconds = 7200,
        });
        Assert.Equal("root", updated.RunConfig?.User);
        Assert.Equal("/tmp", updated.RunConfig?.WorkingDirectory);
        Assert.Equal(7200, updated.DeleteAfterStopSeconds);
        Assert.Equal("0\n/tmp\nfrom-box m\n", (await box.RunAsync("id -u; pwd; echo $RC_VAR $MORE")).Stdout);

        var stopped = await Client.Sandboxes.StopAsync(s.Name);
        Assert.NotNull(stopped.StoppedAt);
        Assert.Equal(7200, stopped.DeleteAfterStopSeconds);
    }

    [Fact]
    public async Task A_bad_run_config_user_is_a_validation_error_naming_the_field()
    {
        var e = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Sandboxes.CreateAsync(new CreateSandboxRequest
        {
            Name = fx.NewName("rc-bad"),
            RunConfig = new SandboxRunConfig { WorkingDirectory = "relative/dir" },
        }));
        Assert.Contains("work_dir", e.Message + " " + e.Field + " " + e.ResponseBody);
    }

    [Fact]
    public void A_command_with_run_config_and_the_older_env_or_cwd_is_refused_before_sending()
    {
        var sandbox = new Sandbox { Name = "x", DataplaneUrl = "http://127.0.0.1:1/dp" };
        var dialect = new Protocol.SeedDialect("http://127.0.0.1:1/v2/sandboxes");
        var both = new CommandRequest("true") { RunConfig = new SandboxRunConfig { User = "user" }, WorkingDirectory = "/tmp" };
        Assert.Throws<ArgumentException>(() => dialect.Execute(sandbox, both, both.Command));
        var env = new CommandRequest("true") { RunConfig = new SandboxRunConfig { User = "user" }, Environment = new Dictionary<string, string> { ["A"] = "b" } };
        Assert.Throws<ArgumentException>(() => dialect.ExecuteFrame(env, "id-1"));
        var stdin = new CommandRequest("cat") { CloseStdin = true, Stdin = "x" };
        Assert.Throws<ArgumentException>(() => dialect.ExecuteFrame(stdin, "id-2"));

        // One or the other goes out as its own fields.
        var older = JsonSerializer.Serialize(dialect.Execute(sandbox, new CommandRequest("true") { WorkingDirectory = "w", Environment = new Dictionary<string, string> { ["A"] = "b" } }, "true").Body, dialect.Json);
        Assert.Contains("\"cwd\":\"w\"", older);
        Assert.DoesNotContain("run_config", older);
        var current = JsonSerializer.Serialize(dialect.ExecuteFrame(new CommandRequest("true") { RunConfig = new SandboxRunConfig { User = "user", WorkingDirectory = "/w" }, CloseStdin = true }, "id-3"), dialect.Json);
        Assert.Contains("\"run_config\":{\"user\":\"user\",\"work_dir\":\"/w\"}", current);
        Assert.Contains("\"close_stdin\":true", current);
        Assert.DoesNotContain("\"cwd\"", current);
    }
}
