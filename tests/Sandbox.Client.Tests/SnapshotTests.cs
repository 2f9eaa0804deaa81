using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Snapshots through the client against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class SnapshotTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Capture_waits_until_ready_then_a_sandbox_starts_from_it_and_survives_deletion()
    {
        var source = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("snap-src") })).Sandbox;
        try
        {
            await Client.Commands.RunAsync(source.Name, new CommandRequest("echo client-snap > /home/user/c.txt"));
            var seen = new List<string>();
            var snapshot = await Client.Snapshots.CreateAsync(source.Name, fx.NewName("snap"), new() { Progress = new SyncProgress<SandboxSnapshot>(s => seen.Add(s.Status)) });
            Assert.Equal(SandboxSnapshotStatus.Ready, snapshot.Status);
            Assert.Equal(source.Id, snapshot.SourceSandboxId);
            Assert.True(snapshot.FsUsedBytes > 0);
            Assert.Contains(SandboxSnapshotStatus.Ready, seen);

            Assert.Equal(snapshot.Id, (await Client.Snapshots.GetAsync(snapshot.Id)).Id);
            Assert.Equal([snapshot.Id], (await Client.Snapshots.FindAsync(snapshot.Name)).Select(s => s.Id));
            Assert.Contains(snapshot.Id, (await Client.Snapshots.FindAsync("snap-*")).Select(s => s.Id));
            Assert.Empty(await Client.Snapshots.FindAsync("no-match-*"));

            var copy = (await Client.Sandboxes.CreateFromSnapshotAsync(snapshot.Id, fx.NewName("from-snap"))).Sandbox;
            try
            {
                Assert.Equal(snapshot.Id, copy.SnapshotId);
                await Client.Snapshots.DeleteAsync(snapshot.Id);
                var e = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Snapshots.GetAsync(snapshot.Id));
                Assert.Equal("SnapshotNotFound", e.ErrorId());
                Assert.Equal("client-snap", (await Client.Commands.RunAsync(copy.Name, new CommandRequest("cat /home/user/c.txt"))).Stdout.Trim());
            }
            finally
            {
                await Client.Sandboxes.DeleteAsync(copy.Name);
            }
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(source.Name);
        }
    }

    [Fact]
    public async Task Typed_errors()
    {
        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Snapshots.FindAsync("no-such-snapshot"));
        Assert.Equal("SnapshotNotFound", missing.ErrorId());
        var del = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Snapshots.DeleteAsync(Guid.NewGuid().ToString()));
        Assert.Equal("SnapshotNotFound", del.ErrorId());
        var create = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.CreateFromSnapshotAsync(Guid.NewGuid().ToString()));
        Assert.Equal("SnapshotNotFound", create.ErrorId());
        var box = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Snapshots.StartAsync("no-such-box", fx.NewName("s")));
        Assert.Equal("SandboxNotFound", box.ErrorId());
        // A registry reference is a failed snapshot (the server pulls nothing), as a failed pull is on the hosted API.
        var image = await Assert.ThrowsAsync<SandboxSnapshotFailedException>(() =>
            Client.Snapshots.ImportAsync(new CreateImageSnapshotRequest { Name = fx.NewName("img"), DockerImage = "python:3.12", FsCapacityBytes = 1L << 30 }));
        Assert.Contains("pulls no images", image.Message);
        Assert.Contains("docker save", image.Message);
        await Client.Snapshots.DeleteAsync(image.Snapshot.Id);
    }

    [Fact]
    public async Task A_failed_import_is_a_SnapshotFailed_error()
    {
        var dir = Directory.CreateTempSubdirectory("client-snap-").FullName;
        try
        {
            var bogus = Path.Combine(dir, "not-an-image.tar");
            await File.WriteAllTextAsync(bogus, "this is not a tarball");
            var e = await Assert.ThrowsAsync<SandboxSnapshotFailedException>(() =>
                Client.Snapshots.ImportAsync(new CreateImageSnapshotRequest { Name = fx.NewName("bad"), DockerImage = bogus }));
            Assert.Equal("SnapshotFailed", e.ErrorId());
            Assert.Equal(SandboxSnapshotStatus.Failed, e.Snapshot.Status);
            await Client.Snapshots.DeleteAsync(e.Snapshot.Id);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value)
        {
            lock (this) report(value);
        }
    }
}
