using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class BoxTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private static readonly string[] SandboxFields =
    [
        "id", "name", "template_name", "dataplane_url", "status", "status_message", "created_at", "updated_at",
        "ttl_seconds", "idle_ttl_seconds", "expires_at", "snapshot_id", "vcpus", "mem_bytes", "fs_capacity_bytes",
    ];

    private static void AssertIsoUtc(JsonElement e, string field)
    {
        var text = e.Str(field);
        Assert.True(DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t), $"{field} is not ISO-8601: {text}");
        Assert.True(text.EndsWith('Z') || text.EndsWith("+00:00"), $"{field} is not UTC: {text}");
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - t).TotalMinutes) < 10, $"{field} is not now: {text}");
    }

    [Fact]
    public async Task Create_waits_for_ready_and_returns_every_field()
    {
        var name = Names.New("create");
        var r = await S.PostAsync(Api.Boxes, new JsonObject
        {
            ["template_name"] = "base", ["name"] = name, ["vcpus"] = 1, ["mem_bytes"] = 256L << 20, ["fs_capacity_bytes"] = 1L << 30,
        });
        if (r.TryJson(out var j0) && j0.ValueKind == JsonValueKind.Object && j0.TryGetProperty("id", out var id0)) S.Track(id0.GetString()!);
        r.Expect(201);
        var j = r.Json;
        try
        {
            foreach (var f in SandboxFields) Assert.True(j.TryGetProperty(f, out _), $"sandbox lacks '{f}': {j}");
            Assert.True(Guid.TryParse(j.Str("id"), out _), $"id is not a UUID: {j}");
            Assert.Equal(name, j.Str("name"));
            Assert.Equal("base", j.Str("template_name"));
            Assert.Equal("ready", j.Str("status"));
            Assert.Equal(1, j.GetProperty("vcpus").GetInt32());
            Assert.Equal(256L << 20, j.GetProperty("mem_bytes").GetInt64());
            Assert.Equal(1L << 30, j.GetProperty("fs_capacity_bytes").GetInt64());
            AssertIsoUtc(j, "created_at");
            AssertIsoUtc(j, "updated_at");
            Assert.Equal(JsonValueKind.Null, j.GetProperty("expires_at").ValueKind);
            Assert.Equal(JsonValueKind.Null, j.GetProperty("snapshot_id").ValueKind);
            var dp = j.Str("dataplane_url");
            Assert.Equal($"{S.BaseUrl}v2/sandboxes/dataplane/{j.Str("id")}", dp);

            var got = (await S.GetAsync(Api.Box(name))).Expect(200).Json;
            foreach (var f in SandboxFields) Assert.True(got.TryGetProperty(f, out _), $"GET lacks '{f}': {got}");
            Assert.Equal(j.Str("id"), got.Str("id"));
            Assert.Equal("ready", got.Str("status"));
            Assert.Equal(dp, got.Str("dataplane_url"));

            // Also served under /api/v2/sandboxes.
            var alt = (await S.GetAsync($"api/{Api.Box(name)}")).Expect(200).Json;
            Assert.Equal(j.Str("id"), alt.Str("id"));
        }
        finally
        {
            await S.DeleteAsync(Api.Box(name));
        }
    }

    [Fact]
    public async Task Create_without_name_generates_one()
    {
        var r = await S.PostAsync(Api.Boxes, new { template_name = "base" });
        if (r.TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("id", out var id)) S.Track(id.GetString()!);
        r.Expect(201);
        var name = r.Json.Str("name");
        try
        {
            Assert.Matches("^sb-[0-9a-f]{8}$", name);
            (await S.GetAsync(Api.Box(name))).Expect(200);
        }
        finally
        {
            await S.DeleteAsync(Api.Box(name));
        }
    }

    [Fact]
    public async Task Duplicate_sandbox_name_is_409()
    {
        await using var box = await Box.CreateAsync(S, tag: "dupbox");
        var ids = await S.SandboxIdsAsync();
        (await S.PostAsync(Api.Boxes, new { template_name = "base", name = box.Name })).ExpectError(409, "SandboxAlreadyExists");
        Assert.Equal(ids, await S.SandboxIdsAsync());
    }

    [Fact]
    public async Task Missing_sandbox_is_404()
    {
        var name = Names.New("ghost");
        (await S.GetAsync(Api.Box(name))).ExpectError(404, "SandboxNotFound");
        (await S.GetAsync(Api.Box(name) + "/status")).Expect(404);
        (await S.PatchAsync(Api.Box(name), new { name = name + "x" })).Expect(404);
        (await S.DeleteAsync(Api.Box(name))).Expect(404);
        (await S.PostAsync(Api.Box(name) + "/stop", new { })).Expect(404);
        (await S.PostAsync(Api.Box(name) + "/start", new { })).Expect(404);
        (await S.ExecRawAsync($"{S.BaseUrl}v2/sandboxes/dataplane/{Guid.NewGuid()}", new { command = "true" })).Expect(404);
    }

    [Fact]
    public async Task List_filters_pages_and_sorts()
    {
        var tag = "ls" + Guid.NewGuid().ToString("N")[..6];
        var names = new[] { $"t-{tag}-b", $"t-{tag}-c", $"t-{tag}-a" }; // created in this order
        var boxes = new List<Box>();
        try
        {
            foreach (var (n, i) in names.Select((n, i) => (n, i)))
            {
                var body = new JsonObject { ["template_name"] = i == 1 ? "python" : "base", ["name"] = n };
                var r = await S.PostAsync(Api.Boxes, body);
                if (r.TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("id", out var id)) S.Track(id.GetString()!);
                r.Expect(201);
                await Task.Delay(50); // distinct created_at
            }
            (await S.PostAsync(Api.Box(names[2]) + "/stop", new { })).Expect(200); // "a" stopped

            async Task<(List<string> Names, int Offset)> Query(string q)
            {
                var j = (await S.GetAsync($"{Api.Boxes}?name_contains={tag}{q}")).Expect(200).Json;
                return (j.GetProperty("sandboxes").EnumerateArray().Select(x => x.Str("name")).ToList(), j.GetProperty("offset").GetInt32());
            }

            var all = await Query("");
            Assert.Equal(names.OrderBy(x => x), all.Names.OrderBy(x => x));
            // default order: created_at desc
            Assert.Equal(names.Reverse(), all.Names);

            var page1 = await Query("&sort_by=name&sort_direction=asc&limit=2");
            Assert.Equal([names[2], names[0]], page1.Names);
            Assert.Equal(2, page1.Offset);
            var page2 = await Query("&sort_by=name&sort_direction=asc&limit=2&offset=2");
            Assert.Equal([names[1]], page2.Names);
            Assert.Equal(3, page2.Offset);

            Assert.Equal([names[1], names[0], names[2]], (await Query("&sort_by=name&sort_direction=desc")).Names);
            Assert.Equal(names, (await Query("&sort_by=created_at&sort_direction=asc")).Names);
            Assert.Equal(names.Reverse(), (await Query("&sort_by=created_at&sort_direction=desc")).Names);

            var byTemplate = (await Query("&sort_by=template_name&sort_direction=asc")).Names;
            Assert.Equal(names[1], byTemplate[2]); // base, base, python
            var byTemplateDesc = (await Query("&sort_by=template_name&sort_direction=desc")).Names;
            Assert.Equal(names[1], byTemplateDesc[0]);

            var byStatus = (await Query("&sort_by=status&sort_direction=asc")).Names;
            Assert.Equal(names[2], byStatus[2]); // ready, ready, stopped
            var byStatusDesc = (await Query("&sort_by=status&sort_direction=desc")).Names;
            Assert.Equal(names[2], byStatusDesc[0]);

            Assert.Equal([names[2]], (await Query("&status=stopped")).Names);
            Assert.Equal([names[0], names[1]], (await Query("&status=ready&sort_by=name&sort_direction=asc")).Names);
            Assert.Equal([names[1]], (await Query("&template_name=python")).Names);
            Assert.Equal([names[2], names[0]], (await Query("&template_name=base&sort_by=name&sort_direction=asc")).Names);
            Assert.Empty((await Query("&status=provisioning")).Names);

            var one = (await S.GetAsync($"{Api.Boxes}?name_contains={tag}-c")).Expect(200).Json;
            Assert.Equal([names[1]], one.GetProperty("sandboxes").EnumerateArray().Select(x => x.Str("name")));
        }
        finally
        {
            foreach (var n in names) await S.DeleteAsync(Api.Box(n));
            foreach (var b in boxes) await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rename_keeps_the_dataplane_url_working()
    {
        await using var box = await Box.CreateAsync(S, tag: "ren");
        await box.RunAsync("echo before > /home/user/f");
        var oldName = box.Name;
        var newName = Names.New("renamed");
        var r = (await S.PatchAsync(box.Path, new { name = newName })).Expect(200).Json;
        box.Name = newName;
        Assert.Equal(newName, r.Str("name"));
        Assert.Equal(box.Id, r.Str("id"));
        Assert.Equal(box.DataplaneUrl, r.Str("dataplane_url"));
        (await S.GetAsync(Api.Box(oldName))).Expect(404);
        Assert.Equal(box.Id, (await S.GetAsync(Api.Box(newName))).Expect(200).Json.Str("id"));
        Assert.Equal("before", (await box.RunAsync("cat /home/user/f")).Trim());
    }

    [Fact]
    public async Task Rename_to_a_taken_name_is_409()
    {
        await using var a = await Box.CreateAsync(S, tag: "rena");
        await using var b = await Box.CreateAsync(S, tag: "renb");
        (await S.PatchAsync(a.Path, new { name = b.Name })).ExpectError(409, "SandboxAlreadyExists");
        Assert.Equal(a.Id, (await S.GetAsync(a.Path)).Expect(200).Json.Str("id"));
        Assert.Equal(b.Id, (await S.GetAsync(b.Path)).Expect(200).Json.Str("id"));
        (await S.PatchAsync(a.Path, new { name = "Not-Valid" })).ExpectValidation("name");
    }

    [Fact]
    public async Task Status_endpoint()
    {
        await using var box = await Box.CreateAsync(S, tag: "status");
        var j = (await S.GetAsync(box.Path + "/status")).Expect(200).Json;
        Assert.Equal("ready", j.Str("status"));
        Assert.True(j.TryGetProperty("status_message", out _), $"no status_message: {j}");
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        Assert.Equal("stopped", (await S.GetAsync(box.Path + "/status")).Expect(200).Json.Str("status"));
    }

    [Fact]
    public async Task Stop_then_start_keeps_files()
    {
        await using var box = await Box.CreateAsync(S, tag: "stopstart");
        await box.RunAsync("echo kept-across-stop > /home/user/keep.txt; echo etc-change > /etc/sandbox-stop-probe");
        var stopped = (await S.PostAsync(box.Path + "/stop", new { })).Expect(200).Json;
        Assert.Equal("stopped", stopped.Str("status"));
        Assert.Equal("stopped", await S.StatusOfAsync(box.Name));
        Assert.Empty(HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs)); // stop ends every process

        // (A dataplane request would wake it: WakeTests.)
        var started = (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.Equal("ready", started.Str("status"));
        Assert.Equal("kept-across-stop\netc-change", (await box.RunAsync("cat /home/user/keep.txt /etc/sandbox-stop-probe")).Trim());
        Assert.False(File.Exists("/etc/sandbox-stop-probe"));
    }

    [Fact]
    public async Task Delete_leaves_nothing_on_the_host()
    {
        var box = await Box.CreateAsync(S, tag: "del");
        await using (box)
        {
            await box.RunAsync("echo data > /home/user/f; (sleep 300 >/dev/null 2>&1 &) ; true");
            var boxDir = Path.Combine(S.DataDir, "boxes", box.Id);
            Assert.True(Directory.Exists(boxDir), $"expected {boxDir} while the sandbox exists");
            var cgroups = HostProbe.CgroupDirs(box.Id);
            Assert.True(cgroups.Count >= 3, $"expected cgroup dirs named {box.Id}, found [{string.Join(", ", cgroups)}]");
            var procs = cgroups.SelectMany(HostProbe.Procs).Distinct().Select(p => (Pid: p, Start: HostProbe.StartTime(p))).ToList();
            Assert.NotEmpty(procs);

            (await S.DeleteAsync(box.Path)).Expect(204);
            (await S.GetAsync(box.Path)).ExpectError(404, "SandboxNotFound");
            Assert.DoesNotContain(box.Id, await S.SandboxIdsAsync());
            (await box.ExecRawAsync("true")).Expect(404);

            await Poll.UntilAsync(() => !Directory.Exists(boxDir), TimeSpan.FromSeconds(5), $"{boxDir} to be removed");
            await Poll.UntilAsync(() => HostProbe.CgroupDirs(box.Id).Count == 0, TimeSpan.FromSeconds(5), $"cgroup dirs named {box.Id} to be removed");
            await Poll.UntilAsync(() => HostProbe.MountsMentioning(box.Id).Count == 0, TimeSpan.FromSeconds(5), $"no mount in /proc/mounts mentioning {box.Id}");
            await Poll.UntilAsync(() => procs.All(p => HostProbe.StartTime(p.Pid) != p.Start), TimeSpan.FromSeconds(5),
                $"every process of the sandbox to be gone ({string.Join(", ", procs.Select(p => p.Pid))})");
            Assert.Empty(HostProbe.AnyNamespaceMountsMentioning(box.Id));
        }
    }

    [Fact]
    public async Task Create_without_waiting_is_provisioning_then_ready()
    {
        var name = Names.New("nowait");
        var r = await S.PostAsync(Api.Boxes, new { template_name = "base", name, wait_for_ready = false });
        if (r.TryJson(out var j0) && j0.ValueKind == JsonValueKind.Object && j0.TryGetProperty("id", out var id)) S.Track(id.GetString()!);
        try
        {
            r.Expect(201);
            Assert.Equal("provisioning", r.Json.Str("status"));
            var final = await Poll.UntilAsync(() => S.StatusOfAsync(name), s => s != "provisioning", TimeSpan.FromSeconds(30), "sandbox to leave provisioning");
            Assert.Equal("ready", final);
            var exec = await S.ExecRawAsync(r.Json.Str("dataplane_url"), new { command = "echo up" });
            exec.Expect(200);
            Assert.Equal("up\n", exec.Json.Str("stdout"));
        }
        finally
        {
            await Poll.UntilAsync(() => S.StatusOfAsync(name).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "?"), s => s != "provisioning", TimeSpan.FromSeconds(30), "boot to finish before delete");
            await S.DeleteAsync(Api.Box(name));
        }
    }

    [Fact]
    public async Task Env_extension_is_visible_to_every_command()
    {
        await using var box = await Box.CreateAsync(S, tag: "env", extra: new JsonObject
        {
            ["env"] = new JsonObject { ["GREETING"] = "hello world", ["SECOND_VAR"] = "2" },
        });
        Assert.Equal("hello world|2", (await box.RunAsync("echo \"$GREETING|$SECOND_VAR\"")).Trim());
        // Per-command env adds to it and wins on conflicts.
        var r = await box.ExecAsync("echo \"$GREETING|$SECOND_VAR|$THIRD\"", extra: new JsonObject { ["env"] = new JsonObject { ["SECOND_VAR"] = "x", ["THIRD"] = "3" } });
        Assert.Equal("hello world|x|3", r.Out);
    }

    [Fact]
    public async Task Python_version_works_in_a_python_sandbox()
    {
        await using var box = await Box.CreateAsync(S, template: "python", tag: "py");
        var r = await box.ExecAsync("python --version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"Python 3\.\d+", r.Stdout + r.Stderr);
        var r3 = await box.ExecAsync("python3 -c 'print(6*7)'");
        Assert.Equal("42", r3.Out);
    }
}
