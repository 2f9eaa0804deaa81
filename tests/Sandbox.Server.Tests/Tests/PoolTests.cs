using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>Warm pools against the real server. Each test uses a template of its own so no other test's creates claim its replicas.</summary>
[Collection(ServerCollection.Name)]
public sealed class PoolTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Pools = "v2/sandboxes/pools";

    private static string PoolUrl(string name) => $"{Pools}/{Uri.EscapeDataString(name)}";

    private static async Task<string> NewTemplateAsync(ServerProcess s, string tag)
    {
        var name = Names.New(tag);
        (await s.PostAsync(Api.Templates, new JsonObject
        {
            ["name"] = name, ["image"] = "host", ["resources"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "256Mi" },
        })).Expect(201);
        return name;
    }

    private static async Task<JsonElement> GetPoolAsync(ServerProcess s, string name) => (await s.GetAsync(PoolUrl(name))).Expect(200).Json;

    private static async Task<JsonElement> WaitReadyAsync(ServerProcess s, string pool, int ready, int seconds = 60) =>
        await Poll.UntilAsync(() => GetPoolAsync(s, pool), p => p.GetProperty("ready_replicas").GetInt32() == ready
            && p.GetProperty("provisioning_replicas").GetInt32() == 0, TimeSpan.FromSeconds(seconds), $"pool {pool} with {ready} ready replicas", 50);

    /// <summary>Ids of sandboxes booted (an upper layer exists) that no list shows: the pool replicas made since <paramref name="before"/>.</summary>
    // A booted sandbox has a runc config.json in its box dir; a warm launcher (made ahead, with its filesystem) has none yet.
    private static async Task<HashSet<string>> ReplicaIdsAsync(ServerProcess s, IReadOnlySet<string> before)
    {
        var visible = await s.SandboxIdsAsync();
        return Directory.EnumerateDirectories(Path.Combine(s.DataDir, "boxes"))
            .Where(d => File.Exists(Path.Combine(d, "config.json")))
            .Select(Path.GetFileName).OfType<string>()
            .Where(id => !before.Contains(id) && !visible.Contains(id) && HostProbe.CgroupDirs(id, "pids").SelectMany(HostProbe.Procs).Any())
            .ToHashSet();
    }

    private static HashSet<string> BootedIds(ServerProcess s) =>
        Directory.EnumerateDirectories(Path.Combine(s.DataDir, "boxes")).Where(d => File.Exists(Path.Combine(d, "config.json")))
            .Select(Path.GetFileName).OfType<string>().ToHashSet();

    /// <summary>SIGKILL to every process in the sandbox's cgroup, from the host, until none is left.</summary>
    private static void KillAll(string id)
    {
        for (var round = 0; round < 100; round++)
        {
            var pids = HostProbe.CgroupDirs(id, "pids").SelectMany(HostProbe.Procs).ToList();
            if (pids.Count == 0) return;
            foreach (var pid in pids)
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }
            Thread.Sleep(10);
        }
    }

    private static async Task CleanupAsync(ServerProcess s, string pool, string template)
    {
        await s.DeleteAsync(PoolUrl(pool));
        await s.DeleteAsync($"{Api.Templates}/{template}");
    }

    [Fact]
    public async Task Pool_create_get_list_rename_and_validation()
    {
        var template = await NewTemplateAsync(S, "pooltpl");
        var name = Names.New("pool");
        var renamed = name + "-r";
        try
        {
            var created = (await S.PostAsync(Pools, new { name, template_name = template, replicas = 2, wait_for_ready = true, timeout = 60 })).Expect(201).Json;
            foreach (var field in new[] { "id", "name", "template_name", "replicas", "created_at", "updated_at" })
                Assert.True(created.TryGetProperty(field, out _), $"pool lacks '{field}': {created}");
            Assert.Equal(name, created.Str("name"));
            Assert.Equal(template, created.Str("template_name"));
            Assert.Equal(2, created.GetProperty("replicas").GetInt32());
            Assert.Equal(2, created.GetProperty("ready_replicas").GetInt32());
            Assert.True(Guid.TryParse(created.Str("id"), out _));

            // Both prefixes; list with name_contains.
            Assert.Equal(created.Str("id"), (await S.GetAsync($"api/{PoolUrl(name)}")).Expect(200).Json.Str("id"));
            var listed = (await S.GetAsync($"{Pools}?name_contains={name}")).Expect(200).Json.GetProperty("pools").EnumerateArray().ToList();
            Assert.Equal([name], listed.Select(p => p.Str("name")));

            // Replicas are hidden from GET /boxes until claimed.
            Assert.DoesNotContain((await S.ListAllAsync()), b => b.Str("template_name") == template);

            (await S.PostAsync(Pools, new { name, template_name = template, replicas = 1 })).ExpectError(409, "PoolAlreadyExists");
            (await S.PostAsync(Pools, new { name = Names.New("pool"), template_name = "no-such-template", replicas = 1 })).ExpectError(400, "TemplateNotFound");
            (await S.PostAsync(Pools, new { name = Names.New("pool"), template_name = template, replicas = 0 })).ExpectValidation("replicas");
            (await S.PostAsync(Pools, new { name = Names.New("pool"), template_name = template, replicas = 101 })).ExpectValidation("replicas");
            (await S.PostAsync(Pools, new { name = Names.New("pool"), template_name = template, replicas = 1, timeout = 5 })).ExpectValidation("timeout");
            (await S.PostAsync(Pools, new { name = "Bad_Name", template_name = template, replicas = 1 })).ExpectValidation("name");
            (await S.PatchAsync(PoolUrl(name), new { replicas = 101 })).ExpectValidation("replicas");
            (await S.GetAsync(PoolUrl("no-such-pool"))).ExpectError(404, "PoolNotFound");
            (await S.DeleteAsync(PoolUrl("no-such-pool"))).ExpectError(404, "PoolNotFound");

            // The template cannot be deleted while a pool uses it.
            (await S.DeleteAsync($"{Api.Templates}/{template}")).ExpectError(409, "TemplateInUse");

            var other = Names.New("pool");
            (await S.PostAsync(Pools, new { name = other, template_name = template, replicas = 1, wait_for_ready = false })).Expect(201);
            (await S.PatchAsync(PoolUrl(name), new { name = other })).ExpectError(409, "PoolAlreadyExists");
            (await S.DeleteAsync(PoolUrl(other))).Expect(204);

            var patched = (await S.PatchAsync(PoolUrl(name), new { name = renamed })).Expect(200).Json;
            Assert.Equal(renamed, patched.Str("name"));
            Assert.Equal(created.Str("id"), patched.Str("id"));
            (await S.GetAsync(PoolUrl(name))).ExpectError(404, "PoolNotFound");
        }
        finally
        {
            await S.DeleteAsync(PoolUrl(name));
            await CleanupAsync(S, renamed, template);
        }
    }

    [Fact]
    public async Task Template_with_volume_mounts_is_refused()
    {
        // Templates with volumes exist only once volumes do; until then the template itself is refused.
        var volume = Names.New("vol");
        var template = Names.New("voltpl");
        var v = await S.PostAsync("v2/sandboxes/volumes", new { name = volume, size = "64Mi" });
        try
        {
            var t = await S.PostAsync(Api.Templates, new JsonObject
            {
                ["name"] = template, ["image"] = "host", ["resources"] = new JsonObject { ["cpu"] = "1", ["memory"] = "256Mi" },
                ["volume_mounts"] = new JsonArray(new JsonObject { ["volume_name"] = volume, ["mount_path"] = "/data" }),
            });
            if (t.Code != 201)
            {
                Assert.True(t.Code is 400 or 404 or 422, $"template with volumes: {t}");
                return;
            }
            var r = await S.PostAsync(Pools, new { name = Names.New("pool"), template_name = template, replicas = 1 });
            r.ExpectError(400, "ValidationError");
            Assert.Contains("Pools only support stateless templates", r.Text);
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{template}");
            if (v.Code == 201) await S.DeleteAsync($"v2/sandboxes/volumes/{volume}");
        }
    }

    [Fact]
    public async Task Create_hands_over_a_replica_renamed_with_ttl_env_and_hostname_then_refills()
    {
        var template = await NewTemplateAsync(S, "claimtpl");
        var pool = Names.New("pool");
        try
        {
            var before = BootedIds(S);
            (await S.PostAsync(Pools, new { name = pool, template_name = template, replicas = 2 })).Expect(201);
            var replicas = await ReplicaIdsAsync(S, before);
            Assert.Equal(2, replicas.Count);

            var timer = Stopwatch.StartNew();
            await using var box = await Box.CreateAsync(S, template: template, tag: "claimed", extra: new JsonObject
            {
                ["ttl_seconds"] = 3600, ["idle_ttl_seconds"] = 600, ["env"] = new JsonObject { ["FROM_POOL"] = "yes" },
            });
            timer.Stop();
            Assert.Contains(box.Id, replicas);
            Assert.Equal(template, box.Created.Str("template_name"));
            Assert.Equal(3600, box.Created.GetProperty("ttl_seconds").GetInt64());
            Assert.Equal(600, box.Created.GetProperty("idle_ttl_seconds").GetInt64());
            Assert.Equal(JsonValueKind.String, box.Created.GetProperty("expires_at").ValueKind);
            Assert.Equal("yes", (await box.RunAsync("echo $FROM_POOL")).Trim());
            Assert.Equal(box.Name, (await box.RunAsync("hostname")).Trim());
            Assert.NotEqual(box.Name, System.Net.Dns.GetHostName());
            // Visible once claimed.
            Assert.Contains(box.Id, await S.SandboxIdsAsync());

            // A generated name works too, and vcpus/mem_bytes that differ rewrite the cgroup limits.
            var second = (await S.PostAsync(Api.Boxes, new { template_name = template, vcpus = 2, mem_bytes = 128L << 20 })).Expect(201).Json;
            S.Track(second.Str("id"));
            Assert.Contains(second.Str("id"), replicas);
            Assert.StartsWith("sb-", second.Str("name"));
            Assert.Equal(128L << 20, second.GetProperty("mem_bytes").GetInt64());
            Assert.Equal((128L << 20).ToString(), HostProbe.ReadCgroupFile(HostProbe.CgroupDir(second.Str("id"), "memory"), "memory.limit_in_bytes"));
            Assert.Equal("200000", HostProbe.ReadCgroupFile(HostProbe.CgroupDir(second.Str("id"), "cpu"), "cpu.cfs_quota_us"));

            // A taken name is 409 and leaves the replicas alone.
            await WaitReadyAsync(S, pool, 2);
            (await S.PostAsync(Api.Boxes, new { template_name = template, name = box.Name })).ExpectError(409, "SandboxAlreadyExists");
            Assert.Equal(2, (await GetPoolAsync(S, pool)).GetProperty("ready_replicas").GetInt32());

            // Refilled after the claims: two new replicas.
            var refilled = await ReplicaIdsAsync(S, before);
            Assert.Equal(2, refilled.Count);
            Assert.DoesNotContain(box.Id, refilled);

            // The pool's DELETE keeps handed-out sandboxes.
            (await S.DeleteAsync(PoolUrl(pool))).Expect(204);
            Assert.Empty(await ReplicaIdsAsync(S, before));
            Assert.Equal("ready", await S.StatusOfAsync(box.Name));
            Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
            (await S.DeleteAsync(Api.Box(second.Str("name")))).Expect(204);
        }
        finally
        {
            await CleanupAsync(S, pool, template);
        }
    }

    [Fact]
    public async Task A_replica_whose_processes_are_killed_is_replaced()
    {
        var template = await NewTemplateAsync(S, "killtpl");
        var pool = Names.New("pool");
        try
        {
            var before = BootedIds(S);
            (await S.PostAsync(Pools, new { name = pool, template_name = template, replicas = 2 })).Expect(201);
            var replicas = await ReplicaIdsAsync(S, before);
            Assert.Equal(2, replicas.Count);
            var victim = replicas.First();
            KillAll(victim);
            await Poll.UntilAsync(async () => (await ReplicaIdsAsync(S, before)), ids => ids.Count == 2 && !ids.Contains(victim),
                TimeSpan.FromSeconds(30), "a replacement replica", 100);
            await WaitReadyAsync(S, pool, 2);
            // The dead one is gone from the host.
            await Poll.UntilAsync(() => !Directory.Exists(Path.Combine(S.DataDir, "boxes", victim)), TimeSpan.FromSeconds(10), "the dead replica's files removed");

            // A create right after a kill never gets the dead replica.
            var next = replicas.Except([victim]).Single();
            KillAll(next);
            await using var box = await Box.CreateAsync(S, template: template, tag: "afterkill");
            Assert.NotEqual(next, box.Id);
            Assert.Equal("ok", (await box.RunAsync("echo ok")).Trim());
        }
        finally
        {
            await CleanupAsync(S, pool, template);
        }
    }

    [Fact]
    public async Task Replicas_zero_pauses_lowering_ends_surplus_and_delete_ends_idle_replicas()
    {
        var template = await NewTemplateAsync(S, "scaletpl");
        var pool = Names.New("pool");
        try
        {
            var before = BootedIds(S);
            (await S.PostAsync(Pools, new { name = pool, template_name = template, replicas = 3 })).Expect(201);
            Assert.Equal(3, (await ReplicaIdsAsync(S, before)).Count);

            var shrunk = (await S.PatchAsync(PoolUrl(pool), new { replicas = 1 })).Expect(200).Json;
            Assert.Equal(1, shrunk.GetProperty("replicas").GetInt32());
            await WaitReadyAsync(S, pool, 1);
            await Poll.UntilAsync(async () => (await ReplicaIdsAsync(S, before)).Count, n => n == 1, TimeSpan.FromSeconds(20), "one replica left");

            // Paused: no replicas, and creates boot cold (still work).
            (await S.PatchAsync(PoolUrl(pool), new { replicas = 0 })).Expect(200);
            await WaitReadyAsync(S, pool, 0);
            await Poll.UntilAsync(async () => (await ReplicaIdsAsync(S, before)).Count, n => n == 0, TimeSpan.FromSeconds(20), "no replica left");
            await using (var cold = await Box.CreateAsync(S, template: template, tag: "cold"))
            {
                Assert.Equal("ok", (await cold.RunAsync("echo ok")).Trim());
                await Task.Delay(700);
                Assert.Equal(0, (await GetPoolAsync(S, pool)).GetProperty("ready_replicas").GetInt32());
            }

            // Resumed.
            (await S.PatchAsync(PoolUrl(pool), new { replicas = 2 })).Expect(200);
            await WaitReadyAsync(S, pool, 2);

            (await S.DeleteAsync(PoolUrl(pool))).Expect(204);
            Assert.Empty(await ReplicaIdsAsync(S, before));
            (await S.GetAsync(PoolUrl(pool))).ExpectError(404, "PoolNotFound");
            (await S.DeleteAsync($"{Api.Templates}/{template}")).Expect(204);
        }
        finally
        {
            await CleanupAsync(S, pool, template);
        }
    }

    [Fact]
    public async Task Wait_for_ready_times_out_with_504_and_the_pool_stays()
    {
        // A template whose rootfs vanished after it was made: every replica fails to boot, so the pool is never ready.
        var dir = Directory.CreateTempSubdirectory("pool-gone-").FullName;
        var template = Names.New("gonetpl");
        (await S.PostAsync(Api.Templates, new JsonObject
        {
            ["name"] = template, ["image"] = "rootfs:" + dir, ["resources"] = new JsonObject { ["cpu"] = "1", ["memory"] = "256Mi" },
        })).Expect(201);
        Directory.Delete(dir);
        var pool = Names.New("pool");
        try
        {
            var timer = Stopwatch.StartNew();
            var r = await S.PostAsync(Pools, new { name = pool, template_name = template, replicas = 1, timeout = 10 });
            r.ExpectError(504, "Timeout");
            Assert.InRange(timer.Elapsed.TotalSeconds, 9.5, 30);
            var p = await GetPoolAsync(S, pool);
            Assert.Equal(1, p.GetProperty("replicas").GetInt32());
            Assert.Equal(0, p.GetProperty("ready_replicas").GetInt32());

            // No wait: 201 at once.
            var quick = Names.New("pool");
            var q = (await S.PostAsync(Pools, new { name = quick, template_name = template, replicas = 1, wait_for_ready = false })).Expect(201).Json;
            Assert.Equal(1, q.GetProperty("replicas").GetInt32());
            (await S.DeleteAsync(PoolUrl(quick))).Expect(204);
        }
        finally
        {
            await CleanupAsync(S, pool, template);
        }
    }

    [Fact]
    public async Task A_pool_of_100_replicas_warms_up()
    {
        var template = await NewTemplateAsync(S, "bigtpl");
        var pool = Names.New("pool");
        try
        {
            var before = BootedIds(S);
            (await S.PostAsync(Pools, new { name = pool, template_name = template, replicas = 100, timeout = 300 })).Expect(201);
            Assert.Equal(100, (await ReplicaIdsAsync(S, before)).Count);
        }
        finally
        {
            await CleanupAsync(S, pool, template);
        }
    }

    [Fact]
    public async Task Pools_and_replicas_survive_a_server_sigkill_and_restart()
    {
        await using var s = await ServerProcess.StartAsync();
        var template = await NewTemplateAsync(s, "restarttpl");
        var pool = Names.New("pool");
        var before = BootedIds(s);
        (await s.PostAsync(Pools, new { name = pool, template_name = template, replicas = 2 })).Expect(201);
        var replicas = await ReplicaIdsAsync(s, before);
        Assert.Equal(2, replicas.Count);

        await s.KillAsync();
        await s.RestartAsync();

        var p = await WaitReadyAsync(s, pool, 2);
        Assert.Equal(2, p.GetProperty("replicas").GetInt32());
        // The same replicas, re-attached rather than booted again.
        Assert.Equal(replicas.Order(), (await ReplicaIdsAsync(s, before)).Order());
        await using (var box = await Box.CreateAsync(s, template: template, tag: "afterrestart"))
        {
            Assert.Contains(box.Id, replicas);
            Assert.Equal(box.Name, (await box.RunAsync("hostname")).Trim());
        }
        await WaitReadyAsync(s, pool, 2);
        (await s.DeleteAsync(PoolUrl(pool))).Expect(204);
        Assert.Empty(await ReplicaIdsAsync(s, before));
        (await s.DeleteAsync($"{Api.Templates}/{template}")).Expect(204);
    }
}
