using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Pools through the client against the real local server; each test uses its own template.</summary>
[Collection(ServerCollection.Name)]
public sealed class PoolTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    private async Task<string> NewTemplateAsync()
    {
        var name = fx.NewName("pooltpl");
        await Client.Templates.CreateAsync(new CreateTemplateRequest { Name = name, Image = "host", Resources = new TemplateResources { Cpu = "500m", Memory = "256Mi" } });
        return name;
    }

    private async Task CleanupAsync(string template, params string[] pools)
    {
        foreach (var p in pools)
        {
            try
            {
                await Client.Pools.DeleteAsync(p);
            }
            catch (SandboxNotFoundException)
            {
            }
        }
        await Client.Templates.DeleteAsync(template);
    }

    [Fact]
    public async Task Create_waits_for_ready_then_get_find_update_rename_delete()
    {
        var template = await NewTemplateAsync();
        var name = fx.NewName("pool");
        var renamed = name + "-r";
        try
        {
            var pool = await Client.Pools.CreateAsync(new CreatePoolRequest { Name = name, TemplateName = template, Replicas = 2, Timeout = 60 });
            Assert.Equal(name, pool.Name);
            Assert.Equal(name, pool.PoolName);
            Assert.Equal(template, pool.TemplateName);
            Assert.Equal(2, pool.Replicas);
            Assert.Equal(2, pool.ReadyReplicas);
            Assert.True(pool.IsReady);
            Assert.Equal(fx.Server.Endpoint, pool.Endpoint);

            Assert.Equal(pool.Id, (await Client.Pools.GetAsync(name)).Id);
            Assert.Equal([name], (await Client.Pools.FindAsync(name[..^2] + "*")).Select(p => p.Name));
            Assert.Contains(await Client.Pools.FindAsync(), p => p.Name == name);

            // New sandboxes of the template come from the pool.
            var box = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = template, Name = fx.NewName("frompool") })).Sandbox;
            Assert.Equal(SandboxStatus.Ready, box.Status);
            Assert.Equal(box.Name + "\n", (await Client.Commands.RunAsync(box, new CommandRequest("hostname"))).Stdout);
            await Client.Sandboxes.DeleteAsync(box.Name);

            var scaled = await Client.Pools.SetReplicasAsync(name, 1);
            Assert.Equal(1, scaled.Replicas);
            var waited = await Client.Pools.WaitForReadyAsync(name, new() { Timeout = TimeSpan.FromSeconds(60) });
            Assert.Equal(1, waited.ReadyReplicas);

            var paused = await Client.Pools.SetReplicasAsync(name, 0);
            Assert.Equal(0, paused.Replicas);

            var r = await Client.Pools.RenameAsync(name, renamed);
            Assert.Equal(renamed, r.Name);
            var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Pools.GetAsync(name));
            Assert.Equal("PoolNotFound", missing.ErrorId());
            Assert.Equal(name, missing.TargetName);
            Assert.Empty(await Client.Pools.FindAsync(name + "-nothing*"));

            await Client.Pools.DeleteAsync(renamed);
            await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Pools.DeleteAsync(renamed));
        }
        finally
        {
            await CleanupAsync(template, name, renamed);
        }
    }

    [Fact]
    public async Task Typed_errors()
    {
        var template = await NewTemplateAsync();
        var name = fx.NewName("pool");
        try
        {
            await Client.Pools.CreateAsync(new CreatePoolRequest { Name = name, TemplateName = template, Replicas = 1, WaitForReady = false });
            var dup = await Assert.ThrowsAsync<SandboxNameConflictException>(() =>
                Client.Pools.CreateAsync(new CreatePoolRequest { Name = name, TemplateName = template, Replicas = 1 }));
            Assert.Equal("PoolAlreadyExists", dup.ErrorId());
            Assert.Equal(409, dup.StatusCode);

            var noTemplate = await Assert.ThrowsAsync<SandboxNotFoundException>(() =>
                Client.Pools.CreateAsync(new CreatePoolRequest { Name = fx.NewName("pool"), TemplateName = "no-such-template", Replicas = 1 }));
            Assert.Equal("TemplateNotFound", noTemplate.ErrorId());
            Assert.Equal(400, noTemplate.StatusCode);

            var bad = await Assert.ThrowsAsync<SandboxValidationException>(() =>
                Client.Pools.CreateAsync(new CreatePoolRequest { Name = fx.NewName("pool"), TemplateName = template, Replicas = 101 }));
            Assert.Equal("replicas", bad.Field);

            var inUse = await Assert.ThrowsAsync<SandboxResourceInUseException>(() => Client.Templates.DeleteAsync(template));
            Assert.Equal("TemplateInUse", inUse.ErrorId());
        }
        finally
        {
            await CleanupAsync(template, name);
        }
    }

    [Fact]
    public async Task Server_side_wait_times_out_as_SandboxTimeoutException()
    {
        var dir = Directory.CreateTempSubdirectory("client-pool-gone-").FullName;
        var template = fx.NewName("gonetpl");
        await Client.Templates.CreateAsync(new CreateTemplateRequest { Name = template, Image = "rootfs:" + dir, Resources = new TemplateResources { Cpu = "1", Memory = "256Mi" } });
        Directory.Delete(dir);
        var name = fx.NewName("pool");
        try
        {
            var e = await Assert.ThrowsAsync<SandboxTimeoutException>(() =>
                Client.Pools.CreateAsync(new CreatePoolRequest { Name = name, TemplateName = template, Replicas = 1, Timeout = 10 }));
            Assert.Equal(504, e.StatusCode);
            Assert.Equal("Timeout", e.ErrorType);
            Assert.Equal("SandboxTimeout", e.ErrorId());
            var client = await Assert.ThrowsAsync<SandboxTimeoutException>(() => Client.Pools.WaitForReadyAsync(name, new() { Timeout = TimeSpan.FromSeconds(1) }));
            Assert.Equal(name, client.TargetName);
        }
        finally
        {
            await CleanupAsync(template, name);
        }
    }
}
