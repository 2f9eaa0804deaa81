using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// <c>--image-dir</c>: a server started with it imports local images only from inside those directories, judged by the
/// canonical path (a symlink inside that leads out is refused), and says so as a 422 naming <c>docker_image</c>.
/// </summary>
public sealed class ImageDirTests
{
    [Fact]
    public async Task Local_images_are_read_only_from_inside_the_image_dirs()
    {
        var allowed = Directory.CreateTempSubdirectory("snap-allowed-").FullName;
        var outside = Directory.CreateTempSubdirectory("snap-outside-").FullName;
        try
        {
            var inside = Path.Combine(allowed, "image.tar");
            var elsewhere = Path.Combine(outside, "image.tar");
            ImageBuilder.WriteDockerSave(inside, [ImageBuilder.BaseLayer()]);
            ImageBuilder.WriteDockerSave(elsewhere, [ImageBuilder.BaseLayer()]);
            var link = Path.Combine(allowed, "link.tar");
            File.CreateSymbolicLink(link, elsewhere);

            await using var s = await ServerProcess.StartAsync(1, ["--image-dir", allowed]);
            var ok = (await s.PostAsync("v2/sandboxes/snapshots", new { name = Names.New("in"), docker_image = inside })).Expect(201).Json;
            var ready = await Poll.UntilAsync(async () => (await s.GetAsync($"v2/sandboxes/snapshots/{ok.Str("id")}")).Expect(200).Json,
                j => j.Str("status") != "building", TimeSpan.FromSeconds(60), "the import");
            Assert.Equal("ready", ready.Str("status"));
            foreach (var image in new[] { elsewhere, link, Path.Combine(allowed, "..", Path.GetFileName(outside), "image.tar") })
            {
                var r = await s.PostAsync("v2/sandboxes/snapshots", new { name = Names.New("out"), docker_image = image });
                r.ExpectValidation("docker_image");
                Assert.Contains("--image-dir", r.Text);
            }
            // Built-ins and registry references do not read the host: they are unaffected.
            (await s.PostAsync("v2/sandboxes/snapshots", new { name = Names.New("bi"), docker_image = "base" })).Expect(201);
        }
        finally
        {
            Directory.Delete(allowed, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task An_image_dir_that_does_not_exist_stops_the_server_at_start()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-image-dir-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAnyAsync<Exception>(async () => { await using var s = await ServerProcess.StartAsync(1, ["--image-dir", missing]); });
        Assert.Contains("--image-dir", e.Message);
    }
}
