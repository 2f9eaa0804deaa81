using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>Pause, resume, auto_pause and metrics through the client against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class PauseTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Pause_resume_and_a_command_wakes_a_paused_sandbox()
    {
        var name = fx.NewName("pause");
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name });
        try
        {
            await Client.Commands.RunAsync(name, new CommandRequest("echo 41 > /home/user/n"));
            var paused = await Client.Sandboxes.PauseAsync(name);
            Assert.Equal(SandboxStatus.Paused, paused.Status);
            Assert.Equal(fx.Server.Endpoint, paused.Endpoint);
            Assert.Equal(SandboxStatus.Paused, (await Client.Sandboxes.PauseAsync(name)).Status); // idempotent
            Assert.Equal(SandboxStatus.Paused, (await Client.Sandboxes.GetAsync(name)).Status);
            Assert.Contains(await Client.Sandboxes.FindAsync(name, SandboxStatus.Paused), s => s.Name == name);

            var resumed = await Client.Sandboxes.ResumeAsync(name);
            Assert.Equal(SandboxStatus.Ready, resumed.Status);
            Assert.Equal(SandboxStatus.Ready, (await Client.Sandboxes.ResumeAsync(name)).Status); // idempotent

            await Client.Sandboxes.PauseAsync(name);
            Assert.Equal("41\n", (await Client.Commands.RunAsync(name, new CommandRequest("cat /home/user/n"))).Stdout);
            Assert.Equal(SandboxStatus.Ready, (await Client.Sandboxes.GetAsync(name)).Status);
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Pause_of_a_stopped_sandbox_is_NotReady_and_a_missing_one_is_not_found()
    {
        var name = fx.NewName("pstop");
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name });
        try
        {
            await Client.Sandboxes.StopAsync(name);
            var e = await Assert.ThrowsAsync<SandboxApiException>(() => Client.Sandboxes.PauseAsync(name));
            Assert.Equal(400, e.StatusCode);
            Assert.Equal("NotReady", e.ErrorType);
            Assert.Equal(name, e.TargetName);
            await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.ResumeAsync(fx.NewName("missing")));
            await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.GetMetricsAsync(fx.NewName("missing")));
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Auto_pause_pauses_at_ttl_instead_of_deleting()
    {
        var name = fx.NewName("autop");
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name, TtlSeconds = 1, AutoPause = true });
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(6);
            Sandbox box;
            while ((box = await Client.Sandboxes.GetAsync(name)).Status != SandboxStatus.Paused && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(SandboxStatus.Paused, box.Status);
            Assert.Null(box.ExpiresAt);
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Metrics_report_cpu_memory_pids_and_disk()
    {
        var name = fx.NewName("metrics");
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name });
        try
        {
            var before = await Client.Sandboxes.GetMetricsAsync(name);
            Assert.Equal(name, before.Name);
            Assert.Equal(name, before.SandboxName);
            Assert.Equal(fx.Server.Endpoint, before.Endpoint);
            Assert.True(before.Pids > 0);
            Assert.True(before.MemoryBytes > 0);
            await Client.Commands.RunAsync(name, new CommandRequest("dd if=/dev/zero of=/home/user/blob bs=1M count=3 status=none; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"));
            var after = await Client.Sandboxes.GetMetricsAsync(name);
            Assert.True(after.CpuSeconds > before.CpuSeconds, $"{before.CpuSeconds} -> {after.CpuSeconds}");
            Assert.True(after.DiskBytes >= before.DiskBytes + 3L * 1024 * 1024, $"{before.DiskBytes} -> {after.DiskBytes}");
            Assert.True(after.DiskMB >= 3);
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(name);
        }
    }
}
