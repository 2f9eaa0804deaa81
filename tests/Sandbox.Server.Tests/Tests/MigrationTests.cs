using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// Data dirs written by cf8ae8e, the last server without schema versions, open under this one: state.db is rewritten
/// into cf8ae8e's shape (Fixtures/state-cf8ae8e-*.sql, captured from that server) while the sandboxes keep running,
/// and the server started on it must list everything truthfully and keep the running sandbox working.
/// </summary>
public sealed class MigrationTests
{
    private const string Volumes = "v2/sandboxes/volumes";
    private const string Pools = "v2/sandboxes/pools";
    private const string Snapshots = "v2/sandboxes/snapshots";

    [Fact]
    public async Task Data_dir_of_cf8ae8e_with_every_feature_used_opens_with_everything_listed_and_running()
    {
        await using var s = await ServerProcess.StartAsync();
        var volume = Names.New("mig-vol");
        (await s.PostAsync(Volumes, new { name = volume, size = "64Mi" })).Expect(201);
        var policy = new JsonObject { ["mode"] = "allow-all" };
        await using var running = await Box.CreateAsync(s, tag: "mig-run", extra: new JsonObject { ["auto_pause"] = true, ["network_policy"] = policy });
        await using var paused = await Box.CreateAsync(s, tag: "mig-paused");
        await using var stopped = await Box.CreateAsync(s, tag: "mig-stopped");
        await running.RunAsync("echo kept > /home/user/f");
        (await s.PostAsync(paused.Path + "/pause", new { })).Expect(200);
        await stopped.RunAsync("echo in-snapshot > /home/user/s");
        (await s.PostAsync(stopped.Path + "/stop", new { })).Expect(200);
        var snapshotName = Names.New("mig-snap");
        var snapshotId = (await s.PostAsync(stopped.Path + "/snapshot", new { name = snapshotName })).Expect(201).Json.Str("id");
        await Poll.UntilAsync(async () => (await s.GetAsync($"{Snapshots}/{snapshotId}")).Expect(200).Json,
            j => j.Str("status") == "ready", TimeSpan.FromSeconds(60), "the snapshot to be ready");
        var pool = Names.New("mig-pool");
        (await s.PostAsync(Pools, new { name = pool, template_name = "python", replicas = 1 })).Expect(201);
        (await s.PostAsync(running.Path + "/service-url", new { port = 8080 })).Expect(200);

        await s.StopAsync();
        var rows = Tables.ToDictionary(t => t, t => OldStateDb.Count(s.DataDir, t));
        OldStateDb.Rewrite(s.DataDir, "state-cf8ae8e-full.sql");
        await s.RestartAsync();

        Assert.Equal(5, OldStateDb.UserVersion(s.DataDir)); // the baseline, then migrations 2 (stop lifetime), 3 (run_config), 4 (snapshot tags), 5 (snapshot run_config)
        foreach (var table in Tables) Assert.True(rows[table] == OldStateDb.Count(s.DataDir, table), $"rows of {table} changed across the upgrade");

        var listed = (await s.ListAllAsync()).ToDictionary(x => x.Str("id"));
        Assert.Equal("ready", listed[running.Id].Str("status"));
        Assert.Equal("paused", listed[paused.Id].Str("status"));
        Assert.Equal("stopped", listed[stopped.Id].Str("status"));
        Assert.Equal("allow-all", listed[running.Id].GetProperty("network_policy").Str("mode"));
        Assert.Equal("kept", (await running.RunAsync("cat /home/user/f")).Trim());
        (await s.PostAsync(paused.Path + "/resume", new { })).Expect(200);
        Assert.Equal("ready", await s.StatusOfAsync(paused.Name));

        Assert.Equal("64Mi", (await s.GetAsync($"{Volumes}/{volume}")).Expect(200).Json.Str("size"));
        var migrated = (await s.GetAsync($"{Snapshots}/{snapshotId}")).Expect(200).Json;
        Assert.Equal("ready", migrated.Str("status"));
        // Migration 3: the old snapshot carries latest of its name, and the name takes another snapshot (names were unique).
        Assert.Equal(["latest"], migrated.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(snapshotId, (await s.GetAsync($"{Snapshots}/{snapshotName}")).Expect(200).Json.Str("id"));
        var retagged = (await s.PostAsync(Snapshots, new { name = snapshotName, docker_image = "base", tag = "next" })).Expect(201).Json;
        Assert.Equal("next", (await s.GetAsync($"v2/sandboxes/snapshots-by-name/{snapshotName}")).Expect(200).Json.GetProperty("tags")[1].Str("tag"));
        (await s.DeleteAsync($"{Snapshots}/{retagged.Str("id")}")).Expect(204);
        var replicas = await Poll.UntilAsync(async () => (await s.GetAsync($"{Pools}/{pool}")).Expect(200).Json,
            j => j.GetProperty("ready_replicas").GetInt32() == 1, TimeSpan.FromSeconds(30), "the pool's replica to be ready");
        Assert.Equal(1, replicas.GetProperty("replicas").GetInt32());

        // The old rows work as new ones: a sandbox from the old snapshot, and the pool hands out its replica.
        var fromSnapshot = (await s.PostAsync(Api.Boxes, new { snapshot_id = snapshotId, name = Names.New("mig-from-snap") })).Expect(201).Json;
        s.Track(fromSnapshot.Str("id"));
        var claimed = (await s.PostAsync(Api.Boxes, new { template_name = "python", name = Names.New("mig-claim") })).Expect(201).Json;
        s.Track(claimed.Str("id"));
        Assert.Equal("ready", claimed.Str("status"));
        (await s.DeleteAsync($"{Pools}/{pool}")).Expect(204);
    }

    [Fact]
    public async Task Data_dir_of_cf8ae8e_before_any_lazy_table_gets_them_and_keeps_its_sandbox()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var running = await Box.CreateAsync(s, tag: "mig-min");
        await running.RunAsync("echo kept > /home/user/f");

        await s.StopAsync();
        OldStateDb.Rewrite(s.DataDir, "state-cf8ae8e-minimal.sql");
        await s.RestartAsync();

        Assert.Equal(5, OldStateDb.UserVersion(s.DataDir)); // the baseline, then migrations 2 (stop lifetime), 3 (run_config), 4 (snapshot tags), 5 (snapshot run_config)
        Assert.Equal("ready", await s.StatusOfAsync(running.Name));
        Assert.Equal("kept", (await running.RunAsync("cat /home/user/f")).Trim());
        // What used the lazy tables and column works: auto_pause, a network policy, a snapshot, a service URL.
        await using var added = await Box.CreateAsync(s, tag: "mig-new",
            extra: new JsonObject { ["auto_pause"] = true, ["network_policy"] = new JsonObject { ["mode"] = "allow-all" } });
        Assert.Equal("allow-all", added.Created.GetProperty("network_policy").Str("mode"));
        (await s.PostAsync(running.Path + "/snapshot", new { name = Names.New("mig-min-snap") })).Expect(201);
        (await s.PostAsync(running.Path + "/service-url", new { port = 8080 })).Expect(200);
    }

    [Fact]
    public async Task Data_dir_of_schema_2_gets_run_config_and_keeps_its_sandboxes()
    {
        await using var s = await ServerProcess.StartAsync();
        await using var running = await Box.CreateAsync(s, tag: "mig-rc");
        await running.RunAsync("echo kept > /home/user/f");

        await s.StopAsync();
        // Back to schema 2: without run_config (migration 3) and without what migration 4 adds for snapshots.
        OldStateDb.Execute(s.DataDir, """
            ALTER TABLE sandboxes DROP COLUMN run_config;
            DROP TABLE snapshot_tags; DROP TABLE registries; DROP TABLE download_tokens;
            ALTER TABLE snapshots DROP COLUMN labels; ALTER TABLE snapshots DROP COLUMN registry_id; ALTER TABLE snapshots DROP COLUMN run_config; ALTER TABLE sandboxes DROP COLUMN labels;
            PRAGMA user_version = 2;
            """);
        await s.RestartAsync();

        Assert.Equal(5, OldStateDb.UserVersion(s.DataDir));
        var got = (await s.GetAsync(running.Path)).Expect(200).Json;
        Assert.Equal("ready", got.Str("status"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, got.GetProperty("run_config").ValueKind);
        Assert.Equal("kept", (await running.RunAsync("cat /home/user/f")).Trim());
        // The new column works for the old row: PATCH sets the sandbox's layer, commands see it.
        (await s.PatchAsync(running.Path, new { run_config = new { env_vars = new { FROM_PATCH = "yes" } } })).Expect(200);
        Assert.Equal("yes", (await running.RunAsync("echo $FROM_PATCH")).Trim());
    }

    private static readonly string[] Tables =
        ["templates", "sandboxes", "pools", "pool_replicas", "volumes", "network_policies", "snapshots", "snapshot_freezes", "service_tokens"];
}
