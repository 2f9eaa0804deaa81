using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>Volume helpers shared by the volume tests.</summary>
internal static class Vol
{
    public const string Volumes = "v2/sandboxes/volumes";

    public static string Path(string name) => $"{Volumes}/{Uri.EscapeDataString(name)}";

    public static async Task<JsonElement> CreateAsync(ServerProcess s, string name, object size) =>
        (await s.PostAsync(Volumes, new JsonObject { ["name"] = name, ["size"] = JsonValue.Create(size) })).Expect(201).Json;

    public static async Task<string> TemplateAsync(ServerProcess s, string volume, string mountPath = "/data")
    {
        var name = Names.New("vtpl");
        (await s.PostAsync(Api.Templates, new JsonObject
        {
            ["name"] = name,
            ["image"] = "host",
            ["resources"] = new JsonObject { ["cpu"] = "1", ["memory"] = "256Mi" },
            ["volume_mounts"] = new JsonArray(new JsonObject { ["volume_name"] = volume, ["mount_path"] = mountPath }),
        })).Expect(201);
        return name;
    }

    public static string ImagePath(ServerProcess s, string id) => System.IO.Path.Combine(s.DataDir, "volumes", id + ".img");

    /// <summary>The loop devices over an image (losetup -j).</summary>
    public static List<string> LoopDevices(string image)
    {
        var psi = new ProcessStartInfo("losetup", ["-n", "-O", "NAME", "-j", image]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    /// <summary>True when this process may resize a mounted ext4 (CAP_SYS_RESOURCE, bit 24 of CapEff).</summary>
    public static bool CanResizeOnline()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        var caps = Convert.ToUInt64(line["CapEff:".Length..].Trim(), 16);
        return (caps & (1UL << 24)) != 0;
    }

    public static async Task<long> DfSizeAsync(Box box, string path) =>
        long.Parse((await box.RunAsync($"df -B1 --output=size {path} | tail -1")).Trim());

    /// <summary>Deletes templates then volumes, ignoring what is already gone.</summary>
    public static async Task CleanupAsync(ServerProcess s, IEnumerable<string> templates, IEnumerable<string> volumes)
    {
        foreach (var t in templates) await s.DeleteAsync($"{Api.Templates}/{t}");
        foreach (var v in volumes) await s.DeleteAsync(Path(v));
    }
}

[Collection(ServerCollection.Name)]
public sealed class VolumeTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Volume_create_get_list_rename_delete_under_both_prefixes()
    {
        var name = Names.New("vol");
        var created = await Vol.CreateAsync(S, name, "16Mi");
        var renamed = name + "-r";
        try
        {
            foreach (var field in new[] { "id", "name", "size", "storage_class", "created_at", "updated_at" })
                Assert.True(created.TryGetProperty(field, out _), $"volume lacks '{field}': {created}");
            Assert.Equal(name, created.Str("name"));
            Assert.Equal("16Mi", created.Str("size"));
            Assert.True(Guid.TryParse(created.Str("id"), out _));

            // A sparse image of exactly the size.
            var image = Vol.ImagePath(S, created.Str("id"));
            Assert.True(File.Exists(image), $"no image at {image}");
            Assert.Equal(16L << 20, new FileInfo(image).Length);

            Assert.Equal(created.Str("id"), (await S.GetAsync(Vol.Path(name))).Expect(200).Json.Str("id"));
            Assert.Equal(created.Str("id"), (await S.GetAsync($"api/v2/sandboxes/volumes/{name}")).Expect(200).Json.Str("id"));
            var listed = (await S.GetAsync($"{Vol.Volumes}?name_contains={name}")).Expect(200).Json;
            Assert.Equal([name], listed.GetProperty("volumes").EnumerateArray().Select(v => v.Str("name")));
            Assert.Equal(1, listed.GetProperty("offset").GetInt32());
            var page = (await S.GetAsync($"{Vol.Volumes}?limit=1&offset=0")).Expect(200).Json;
            Assert.Single(page.GetProperty("volumes").EnumerateArray());
            (await S.GetAsync($"{Vol.Volumes}?limit=0")).ExpectValidation("limit");

            (await S.PostAsync(Vol.Volumes, new { name, size = "16Mi" })).ExpectError(409, "VolumeAlreadyExists");
            var other = Names.New("vol");
            await Vol.CreateAsync(S, other, 16L << 20);
            (await S.PatchAsync(Vol.Path(name), new { name = other })).ExpectError(409, "VolumeAlreadyExists");
            (await S.DeleteAsync(Vol.Path(other))).Expect(204);

            var patched = (await S.PatchAsync(Vol.Path(name), new { name = renamed })).Expect(200).Json;
            Assert.Equal(renamed, patched.Str("name"));
            Assert.Equal(created.Str("id"), patched.Str("id"));
            (await S.GetAsync(Vol.Path(name))).ExpectError(404, "VolumeNotFound");

            (await S.DeleteAsync(Vol.Path(renamed))).Expect(204);
            Assert.False(File.Exists(image), "the image stays after delete");
            Assert.False(Directory.Exists(Path.ChangeExtension(image, ".mnt")), "the mount point stays after delete");
            (await S.DeleteAsync(Vol.Path(renamed))).ExpectError(404, "VolumeNotFound");
            (await S.PatchAsync(Vol.Path(renamed), new { size = "32Mi" })).ExpectError(404, "VolumeNotFound");
        }
        finally
        {
            await Vol.CleanupAsync(S, [], [name, renamed]);
        }
    }

    [Fact]
    public async Task Bad_input_is_422_naming_the_field_and_a_shrink_is_ResizeError()
    {
        (await S.PostAsync(Vol.Volumes, new { size = "16Mi" })).ExpectValidation("name");
        (await S.PostAsync(Vol.Volumes, new { name = "Bad_Name", size = "16Mi" })).ExpectValidation("name");
        (await S.PostAsync(Vol.Volumes, new { name = Names.New("vol") })).ExpectValidation("size");
        (await S.PostAsync(Vol.Volumes, new { name = Names.New("vol"), size = "lots" })).ExpectValidation("size");
        (await S.PostAsync(Vol.Volumes, new { name = Names.New("vol"), size = "1Mi" })).ExpectValidation("size");
        (await S.PostAsync(Vol.Volumes, new { name = Names.New("vol"), size = 16.5 })).ExpectValidation("size");
        (await S.PostAsync(Vol.Volumes, new { name = Names.New("vol"), size = true })).ExpectValidation("size");
        (await S.PostAsync(Vol.Volumes, new { name = Names.New("vol"), size = "16Mi", wait_for_ready = "yes" })).ExpectValidation("wait_for_ready");
        (await S.PostAsync(Vol.Volumes, "{not json")).ExpectValidation("body");

        var name = Names.New("vol");
        var created = await Vol.CreateAsync(S, name, 32L << 20);
        try
        {
            Assert.Equal("32Mi", created.Str("size"));
            (await S.PatchAsync(Vol.Path(name), new { size = "16Mi" })).ExpectError(400, "ResizeError");
            (await S.PatchAsync(Vol.Path(name), new { size = "x" })).ExpectValidation("size");
            (await S.PatchAsync(Vol.Path(name), new { name = "NO" })).ExpectValidation("name");
            // A refused change changes nothing.
            Assert.Equal("32Mi", (await S.GetAsync(Vol.Path(name))).Expect(200).Json.Str("size"));
            Assert.Equal(32L << 20, new FileInfo(Vol.ImagePath(S, created.Str("id"))).Length);
            // The same size is not a change.
            Assert.Equal("32Mi", (await S.PatchAsync(Vol.Path(name), new { size = "32Mi" })).Expect(200).Json.Str("size"));
            // Not mounted anywhere: grows at once.
            Assert.Equal("48Mi", (await S.PatchAsync(Vol.Path(name), new { size = "48Mi" })).Expect(200).Json.Str("size"));
            Assert.Equal(48L << 20, new FileInfo(Vol.ImagePath(S, created.Str("id"))).Length);
        }
        finally
        {
            await Vol.CleanupAsync(S, [], [name]);
        }
    }

    [Fact]
    public async Task Template_volume_mounts_are_validated_and_a_mounted_volume_cannot_be_deleted()
    {
        var volume = Names.New("vol");
        await Vol.CreateAsync(S, volume, "16Mi");
        string? template = null;
        try
        {
            JsonObject Body(JsonNode mounts) => new()
            {
                ["name"] = Names.New("vtpl"),
                ["image"] = "host",
                ["resources"] = new JsonObject { ["cpu"] = "1", ["memory"] = "256Mi" },
                ["volume_mounts"] = mounts,
            };
            (await S.PostAsync(Api.Templates, Body(new JsonArray(new JsonObject { ["volume_name"] = "no-such-volume", ["mount_path"] = "/data" }))))
                .ExpectError(400, "VolumeNotFound");
            (await S.PostAsync(Api.Templates, Body(new JsonArray(new JsonObject { ["volume_name"] = volume, ["mount_path"] = "data" }))))
                .ExpectValidation("mount_path");
            (await S.PostAsync(Api.Templates, Body(new JsonArray(new JsonObject { ["volume_name"] = volume, ["mount_path"] = "/" }))))
                .ExpectValidation("mount_path");
            (await S.PostAsync(Api.Templates, Body(new JsonArray(new JsonObject { ["volume_name"] = volume, ["mount_path"] = "/a/../b" }))))
                .ExpectValidation("mount_path");
            (await S.PostAsync(Api.Templates, Body(new JsonArray(new JsonObject { ["mount_path"] = "/data" }))))
                .ExpectValidation("volume_name");
            (await S.PostAsync(Api.Templates, Body(new JsonObject()))).ExpectValidation("volume_mounts");

            template = await Vol.TemplateAsync(S, volume);
            var t = (await S.GetAsync($"{Api.Templates}/{template}")).Expect(200).Json;
            var mount = Assert.Single(t.GetProperty("volume_mounts").EnumerateArray());
            Assert.Equal(volume, mount.Str("volume_name"));
            Assert.Equal("/data", mount.Str("mount_path"));

            (await S.DeleteAsync(Vol.Path(volume))).ExpectError(409, "VolumeInUse");
            (await S.GetAsync(Vol.Path(volume))).Expect(200);

            // A renamed volume stays mounted by the template under its new name.
            var renamed = volume + "-r";
            (await S.PatchAsync(Vol.Path(volume), new { name = renamed })).Expect(200);
            volume = renamed;
            var after = (await S.GetAsync($"{Api.Templates}/{template}")).Expect(200).Json;
            Assert.Equal(renamed, Assert.Single(after.GetProperty("volume_mounts").EnumerateArray()).Str("volume_name"));
            (await S.DeleteAsync(Vol.Path(volume))).ExpectError(409, "VolumeInUse");

            (await S.DeleteAsync($"{Api.Templates}/{template}")).Expect(204);
            template = null;
            (await S.DeleteAsync(Vol.Path(volume))).Expect(204);
        }
        finally
        {
            await Vol.CleanupAsync(S, template is null ? [] : [template], [volume]);
        }
    }

    [Fact]
    public async Task Data_outlives_the_sandbox_and_a_stop_start_and_writing_past_the_size_is_ENOSPC()
    {
        var volume = Names.New("vol");
        var id = (await Vol.CreateAsync(S, volume, "16Mi")).Str("id");
        var template = await Vol.TemplateAsync(S, volume, "/data");
        try
        {
            await using (var first = await Box.CreateAsync(S, template, "vol-a"))
            {
                await first.RunAsync("echo kept > /data/kept.txt && sync");
                var size = await Vol.DfSizeAsync(first, "/data");
                Assert.True(size is > 12L << 20 and <= 16L << 20, $"df inside shows {size} bytes for a 16Mi volume");
            }

            await using var second = await Box.CreateAsync(S, template, "vol-b");
            Assert.Equal("kept", (await second.RunAsync("cat /data/kept.txt")).Trim());

            // Past the size: ENOSPC inside, nothing else harmed.
            var full = await second.ExecAsync("head -c 40M /dev/zero > /data/big; echo rc=$?", timeout: 60);
            Assert.Contains("No space left on device", full.Stderr);
            (await S.Anonymous.GetAsync("healthz")).EnsureSuccessStatusCode();
            Assert.Equal("kept", (await second.RunAsync("cat /data/kept.txt")).Trim());
            Assert.Equal(16L << 20, new FileInfo(Vol.ImagePath(S, id)).Length);
            await using (var bystander = await Box.CreateAsync(S, "base", "vol-by"))
            {
                Assert.Equal("fine", (await bystander.RunAsync("head -c 1M /dev/zero > /home/user/f && echo fine")).Trim());
                Assert.NotEqual(0, (await bystander.ExecAsync("test -e /data/kept.txt")).ExitCode);
            }
            await second.RunAsync("rm /data/big");

            (await S.PostAsync(second.Path + "/stop", new { })).Expect(200);
            (await S.PostAsync(second.Path + "/start", new { })).Expect(200);
            Assert.Equal("kept", (await second.RunAsync("cat /data/kept.txt")).Trim());

            // In use by a template: 409 even with no sandbox running.
            (await S.DeleteAsync(Vol.Path(volume))).ExpectError(409, "VolumeInUse");
        }
        finally
        {
            await Vol.CleanupAsync(S, [template], [volume]);
        }
        Assert.False(File.Exists(Vol.ImagePath(S, id)), "the image stays after delete");
        Assert.Empty(Vol.LoopDevices(Vol.ImagePath(S, id)));
    }

    [Fact]
    public async Task A_grow_is_seen_inside_a_running_sandbox()
    {
        var volume = Names.New("vol");
        await Vol.CreateAsync(S, volume, "32Mi");
        var template = await Vol.TemplateAsync(S, volume, "/mnt/vol");
        try
        {
            await using var box = await Box.CreateAsync(S, template, "vol-grow");
            await box.RunAsync("echo before > /mnt/vol/f");
            var before = await Vol.DfSizeAsync(box, "/mnt/vol");
            var r = await S.PatchAsync(Vol.Path(volume), new { size = "96Mi" });
            if (Vol.CanResizeOnline())
            {
                Assert.Equal("96Mi", r.Expect(200).Json.Str("size"));
            }
            else
            {
                // Online resize of ext4 needs CAP_SYS_RESOURCE: without it the server refuses while sandboxes run,
                // changes nothing, and grows offline once they are stopped; the next boot sees the new size.
                r.ExpectError(409, "VolumeInUse");
                Assert.Equal("32Mi", (await S.GetAsync(Vol.Path(volume))).Expect(200).Json.Str("size"));
                Assert.Equal(before, await Vol.DfSizeAsync(box, "/mnt/vol"));
                (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
                Assert.Equal("96Mi", (await S.PatchAsync(Vol.Path(volume), new { size = "96Mi" })).Expect(200).Json.Str("size"));
                (await S.PostAsync(box.Path + "/start", new { })).Expect(200);
            }
            var after = await Vol.DfSizeAsync(box, "/mnt/vol");
            Assert.True(after > before + (48L << 20), $"df inside shows {after} bytes after growing from {before}");
            Assert.Equal("before", (await box.RunAsync("cat /mnt/vol/f")).Trim());
            // The new space is usable.
            await box.RunAsync("head -c 50M /dev/zero > /mnt/vol/big && rm /mnt/vol/big");
        }
        finally
        {
            await Vol.CleanupAsync(S, [template], [volume]);
        }
    }
}

/// <summary>Volumes across a SIGKILL of the server (a server of its own).</summary>
public sealed class VolumeOwnServerTests
{
    [Fact]
    public async Task Volume_data_survives_SIGKILL_of_the_server()
    {
        await using var s = await ServerProcess.StartAsync();
        var volume = Names.New("vol");
        var id = (await Vol.CreateAsync(s, volume, "16Mi")).Str("id");
        var template = await Vol.TemplateAsync(s, volume);
        await using (var running = await Box.CreateAsync(s, template, "vol-survivor"))
        {
            await running.RunAsync("echo before-kill > /data/k.txt");
            await s.KillAsync();
            await s.RestartAsync();

            (await s.GetAsync(Vol.Path(volume))).Expect(200);
            Assert.Equal("before-kill", (await running.RunAsync("cat /data/k.txt")).Trim());
            await running.RunAsync("echo after-restart > /data/r.txt");
            await using (var fresh = await Box.CreateAsync(s, template, "vol-fresh"))
            {
                Assert.Equal("before-kill", (await fresh.RunAsync("cat /data/k.txt")).Trim());
                Assert.Equal("after-restart", (await fresh.RunAsync("cat /data/r.txt")).Trim());
            }
            // One loop device over the image, never two.
            Assert.Single(Vol.LoopDevices(Vol.ImagePath(s, id)));
        }
        (await s.DeleteAsync($"{Api.Templates}/{template}")).Expect(204);
        (await s.DeleteAsync(Vol.Path(volume))).Expect(204);
        Assert.Empty(Vol.LoopDevices(Vol.ImagePath(s, id)));
    }
}
