using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Volumes through the client against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class VolumeTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Volume_create_get_find_resize_rename_delete_and_typed_errors()
    {
        var name = fx.NewName("vol");
        var renamed = fx.NewName("vol-renamed");
        try
        {
            var v = await Client.Volumes.CreateAsync(name, "16Mi");
            Assert.Equal(name, v.Name);
            Assert.Equal(name, v.VolumeName);
            Assert.Equal("16Mi", v.Size);
            Assert.Equal(16L << 20, v.SizeBytes);
            Assert.Equal("local", v.StorageClass);
            Assert.NotNull(v.CreatedAt);
            Assert.Equal(v.Id, (await Client.Volumes.GetAsync(name)).Id);

            var byBytes = await Client.Volumes.CreateAsync(fx.NewName("vol-bytes"), (24L << 20).ToString());
            Assert.Equal("24Mi", byBytes.Size);
            await Client.Volumes.DeleteAsync(byBytes.Name);

            Assert.Contains(await Client.Volumes.FindAsync("vol-*"), x => x.Name == name);
            Assert.Single(await Client.Volumes.FindAsync(name));
            Assert.Empty(await Client.Volumes.FindAsync("nothing-like-this-*"));
            var page = await Client.Volumes.ListAsync(new SandboxPageQuery { Limit = 1 });
            Assert.Single(page.Items);

            var dup = await Assert.ThrowsAsync<SandboxNameConflictException>(() => Client.Volumes.CreateAsync(name, "16Mi"));
            Assert.Equal("VolumeAlreadyExists", dup.ErrorId());
            var bad = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Volumes.CreateAsync(fx.NewName("vol"), "lots"));
            Assert.Equal("size", bad.Field);

            var grown = await Client.Volumes.ResizeAsync(name, "32Mi");
            Assert.Equal(32L << 20, grown.SizeBytes);
            var shrink = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Volumes.ResizeAsync(name, "16Mi"));
            Assert.Equal("ResizeError", shrink.ErrorType);
            Assert.Equal("InvalidArgument", shrink.CategoryName());

            Assert.Equal(renamed, (await Client.Volumes.RenameAsync(name, renamed)).Name);
            var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Volumes.GetAsync(name));
            Assert.Equal("VolumeNotFound", missing.ErrorId());
            Assert.Equal("ObjectNotFound", missing.CategoryName());

            await Client.Volumes.DeleteAsync(renamed);
            await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Volumes.DeleteAsync(renamed));
        }
        finally
        {
            foreach (var n in new[] { name, renamed })
                try { await Client.Volumes.DeleteAsync(n); } catch (SandboxApiException) { }
        }
    }

    [Fact]
    public async Task Template_with_a_volume_mount_shares_data_between_sandboxes_and_holds_the_volume()
    {
        var volume = fx.NewName("vol");
        var template = fx.NewName("vtpl");
        try
        {
            await Client.Volumes.CreateAsync(volume, "16Mi");
            var t = await Client.Templates.CreateAsync(new CreateTemplateRequest
            {
                Name = template,
                Image = "host",
                Resources = new TemplateResources { Cpu = "1", Memory = "256Mi" },
                VolumeMounts = [new VolumeMount { VolumeName = volume, MountPath = "/data" }],
            });
            var mount = Assert.Single(t.VolumeMounts);
            Assert.Equal(volume, mount.VolumeName);
            Assert.Equal("/data", mount.MountPath);

            var first = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = template })).Sandbox;
            Assert.Equal(0, (await Client.Commands.RunAsync(first, new CommandRequest("echo shared > /data/f"))).ExitCode);
            await Client.Sandboxes.DeleteAsync(first.Name);
            var second = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = template })).Sandbox;
            Assert.Equal("shared", (await Client.Commands.RunAsync(second, new CommandRequest("cat /data/f"))).Stdout.Trim());
            var full = await Client.Commands.RunAsync(second, new CommandRequest("head -c 32M /dev/zero > /data/big"));
            Assert.NotEqual(0, full.ExitCode);
            Assert.Contains("No space left on device", full.Stderr);
            await Client.Sandboxes.DeleteAsync(second.Name);

            var inUse = await Assert.ThrowsAsync<SandboxResourceInUseException>(() => Client.Volumes.DeleteAsync(volume));
            Assert.Equal("VolumeInUse", inUse.ErrorId());
            Assert.Equal("ResourceBusy", inUse.CategoryName());
        }
        finally
        {
            try { await Client.Templates.DeleteAsync(template); } catch (SandboxApiException) { }
            try { await Client.Volumes.DeleteAsync(volume); } catch (SandboxApiException) { }
        }
    }

    [Theory]
    [InlineData("1Gi", 1L << 30)]
    [InlineData("512Mi", 512L << 20)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("4096", 4096L)]
    public void Quantities_parse_to_bytes(string text, long bytes)
    {
        Assert.True(SandboxQuantity.TryParseBytes(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Fact]
    public void Bad_quantities_do_not_parse_and_bytes_format_as_binary_units()
    {
        Assert.False(SandboxQuantity.TryParseBytes("lots", out _));
        Assert.False(SandboxQuantity.TryParseBytes("0.5", out _));
        Assert.Equal("1Gi", SandboxQuantity.FormatBytes(1L << 30));
        Assert.Equal("1000", SandboxQuantity.FormatBytes(1000));
    }

    [Fact]
    public void Volume_errors_map_to_typed_exceptions()
    {
        var notFound = SandboxErrorClassifier.FromResponse(400, """{"detail":{"error":"VolumeNotFound","message":"volume 'x' not found"}}""");
        Assert.IsType<SandboxNotFoundException>(notFound);
        Assert.Equal("VolumeNotFound", notFound.ErrorId());
        var inUse = SandboxErrorClassifier.FromResponse(409, """{"detail":{"error":"VolumeInUse","message":"mounted"}}""");
        Assert.IsType<SandboxResourceInUseException>(inUse);
        Assert.Equal("VolumeInUse", inUse.ErrorId());
        var exists = SandboxErrorClassifier.FromResponse(409, """{"detail":{"error":"VolumeAlreadyExists","message":"taken"}}""");
        Assert.IsType<SandboxNameConflictException>(exists);
        Assert.Equal("VolumeAlreadyExists", exists.ErrorId());
        Assert.IsType<SandboxValidationException>(SandboxErrorClassifier.FromResponse(400, """{"detail":{"error":"ResizeError","message":"shrink"}}"""));
    }
}
