using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// The snapshot layer of run_config: an image's USER/WORKDIR/ENV, a captured sandbox's run_config, the request's
/// <c>run_config</c> over either; its sandboxes start from it (their own layer over it, each command's over that).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class SnapshotRunConfigTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;
    private const string Snapshots = "v2/sandboxes/snapshots";

    // The image has dash and cat only: the uid comes from /proc, the rest from the shell.
    private const string Probe = "while read k v rest; do [ \"$k\" = Uid: ] && u=$v; [ \"$k\" = Gid: ] && g=$v; done < /proc/self/status; echo \"$u $g $PWD IMG=$IMG B=$B C=$C\"";

    private async Task<JsonElement> ReadyAsync(string id) =>
        await Poll.UntilAsync(async () => (await S.GetAsync($"{Snapshots}/{id}")).Expect(200).Json,
            j => j.Str("status") != "building", TimeSpan.FromSeconds(60), $"snapshot {id} to finish");

    private async Task<JsonElement> BootAsync(JsonObject body)
    {
        body["name"] = Names.New("snaprc");
        var r = await S.PostAsync("v2/sandboxes/boxes", body);
        if (r.TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            S.Track(id.GetString()!);
        return r.Expect(201).Json;
    }

    private async Task<string> RunAsync(JsonElement sandbox, string command, JsonObject? extra = null)
    {
        var body = new JsonObject { ["command"] = command, ["shell"] = "/bin/sh" };
        foreach (var (k, v) in extra ?? []) body[k] = v?.DeepClone();
        var r = (await S.ExecRawAsync(sandbox.Str("dataplane_url"), body)).Expect(200).Json;
        Assert.True(r.GetProperty("exit_code").GetInt32() == 0, r.ToString());
        return r.Str("stdout").TrimEnd('\n');
    }

    [Fact]
    public async Task An_image_s_user_workdir_and_env_are_the_bottom_layer_under_the_request_s_run_config()
    {
        var dir = Directory.CreateTempSubdirectory("snap-rc-").FullName;
        try
        {
            ImageBuilder.WriteOciLayout(dir, [ImageBuilder.BaseLayer(), ImageBuilder.ChangeLayer()], new JsonObject
            {
                ["User"] = "4321:77",
                ["WorkingDir"] = "/opt",
                ["Env"] = new JsonArray("PATH=/usr/bin:/bin", "IMG=from-image", "B=from-image", "not-a-pair"),
            });
            var created = (await S.PostAsync(Snapshots, new JsonObject
            {
                ["name"] = Names.New("imgrc"), ["docker_image"] = dir, ["fs_capacity_bytes"] = 1L << 30,
                ["run_config"] = new JsonObject { ["env_vars"] = new JsonObject { ["B"] = "from-snapshot" } },
            })).Expect(201).Json;
            var snap = await ReadyAsync(created.Str("id"));
            Assert.Equal("ready", snap.Str("status"));
            var rc = snap.GetProperty("run_config");
            Assert.Equal("4321:77", rc.Str("user"));
            Assert.Equal("/opt", rc.Str("work_dir"));
            Assert.Equal("from-image", rc.GetProperty("env_vars").Str("IMG"));
            Assert.Equal("from-snapshot", rc.GetProperty("env_vars").Str("B"));
            Assert.False(rc.GetProperty("env_vars").TryGetProperty("not-a-pair", out _));

            var box = await BootAsync(new JsonObject { ["snapshot_id"] = snap.Str("id") });
            Assert.Equal("4321 77 /opt IMG=from-image B=from-snapshot C=", await RunAsync(box, Probe));
            // The command's layer still wins.
            var cmd = new JsonObject { ["run_config"] = new JsonObject { ["user"] = "0", ["work_dir"] = "/", ["env_vars"] = new JsonObject { ["C"] = "cmd" } } };
            Assert.Equal("0 0 / IMG=from-image B=from-snapshot C=cmd", await RunAsync(box, Probe, cmd));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_capture_carries_the_sandbox_s_run_config_and_its_sandboxes_layer_their_own_over_it()
    {
        var source = await BootAsync(new JsonObject
        {
            ["snapshot_name"] = "base",
            ["run_config"] = new JsonObject { ["user"] = "user", ["env_vars"] = new JsonObject { ["IMG"] = "source", ["B"] = "source" } },
        });
        var created = (await S.PostAsync($"v2/sandboxes/boxes/{source.Str("name")}/snapshot", new JsonObject
        {
            ["name"] = Names.New("caprc"),
            ["run_config"] = new JsonObject { ["work_dir"] = "/tmp", ["env_vars"] = new JsonObject { ["B"] = "capture" } },
        })).Expect(201).Json;
        var snap = await ReadyAsync(created.Str("id"));
        var rc = snap.GetProperty("run_config");
        Assert.Equal("user", rc.Str("user"));
        Assert.Equal("/tmp", rc.Str("work_dir"));
        Assert.Equal("capture", rc.GetProperty("env_vars").Str("B"));

        // The new sandbox: its older env extension over the snapshot's env_vars, its own run_config over both.
        var copy = await BootAsync(new JsonObject
        {
            ["snapshot_id"] = snap.Str("id"),
            ["env"] = new JsonObject { ["IMG"] = "legacy-env" },
            ["run_config"] = new JsonObject { ["env_vars"] = new JsonObject { ["C"] = "copy" } },
        });
        var copyRc = copy.GetProperty("run_config");
        Assert.Equal("user", copyRc.Str("user"));
        Assert.Equal("copy", copyRc.GetProperty("env_vars").Str("C"));
        Assert.Equal("1000 1000 /tmp IMG=legacy-env B=capture C=copy", await RunAsync(copy, Probe));
    }

    [Fact]
    public async Task A_built_in_snapshot_keeps_the_request_s_run_config_and_a_bad_one_is_a_value_error_naming_the_field()
    {
        var created = (await S.PostAsync(Snapshots, new JsonObject
        {
            ["name"] = Names.New("birc"), ["docker_image"] = "base", ["fs_capacity_bytes"] = 1L << 30,
            ["run_config"] = new JsonObject { ["work_dir"] = "/etc", ["env_vars"] = new JsonObject { ["IMG"] = "builtin" } },
        })).Expect(201).Json;
        Assert.Equal("/etc", created.GetProperty("run_config").Str("work_dir"));
        var box = await BootAsync(new JsonObject { ["snapshot_id"] = created.Str("id") });
        Assert.Equal("0 0 /etc IMG=builtin B= C=", await RunAsync(box, Probe));

        var bad = await S.PostAsync(Snapshots, new JsonObject
        {
            ["name"] = Names.New("birc"), ["docker_image"] = "base", ["fs_capacity_bytes"] = 1L << 30,
            ["run_config"] = new JsonObject { ["work_dir"] = "relative", ["shell"] = "/bin/zsh" },
        });
        Assert.Equal(422, bad.Code);
        Assert.Contains("work_dir", bad.Text);
        Assert.Contains("absolute", bad.Text);
        Assert.Contains("shell", bad.Text);
        Assert.Contains("value_error", bad.Text);
        var badCapture = await S.PostAsync($"v2/sandboxes/boxes/{box.Str("name")}/snapshot", new JsonObject { ["name"] = Names.New("birc"), ["run_config"] = new JsonObject { ["user"] = "a:b:c" } });
        Assert.Equal(422, badCapture.Code);
        Assert.Contains("user", badCapture.Text);
    }
}
