using Sandbox.Client.Tests.Infrastructure;
using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>Sandboxes and templates against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class SandboxLifecycleTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Create_with_every_field_then_get_status_and_delete()
    {
        var name = fx.NewName("full");
        var created = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest
        {
            TemplateName = "base",
            Name = name,
            Timeout = 60,
            TtlSeconds = 3600,
            IdleTtlSeconds = 600,
            Vcpus = 2,
            MemBytes = SandboxDefaults.MebibytesToBytes(256),
            FsCapacityBytes = SandboxDefaults.MebibytesToBytes(128),
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello from env" },
        })).Sandbox;
        Assert.Equal(name, created.Name);
        Assert.Equal(SandboxStatus.Ready, created.Status);
        Assert.Equal("base", created.TemplateName);
        Assert.Equal(2, created.Vcpus);
        Assert.Equal(256, created.MemoryMB);
        Assert.Equal(128L << 20, created.FsCapacityBytes);
        Assert.Equal(3600, created.TtlSeconds);
        Assert.Equal(600, created.IdleTtlSeconds);
        Assert.NotNull(created.ExpiresAt);
        Assert.NotNull(created.CreatedAt);
        Assert.False(string.IsNullOrEmpty(created.Id));
        Assert.StartsWith(fx.Server.Endpoint + "/v2/sandboxes/dataplane/", created.DataplaneUrl);
        Assert.Equal(fx.Server.Endpoint, created.Endpoint);

        // The env extension reached the sandbox.
        var result = await Client.Commands.RunAsync(created, new CommandRequest("echo \"$GREETING\""));
        Assert.Equal("hello from env\n", result.Stdout);

        var got = await Client.Sandboxes.GetAsync(name);
        Assert.Equal(created.Id, got.Id);
        var status = await Client.Sandboxes.GetStatusAsync(name);
        Assert.Equal(SandboxStatus.Ready, status.Status);

        await Client.Sandboxes.DeleteAsync(name);
        var gone = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.GetAsync(name));
        Assert.Equal("SandboxNotFound", gone.ErrorId());
        Assert.Equal(404, gone.StatusCode);
        Assert.Equal(name, gone.TargetName);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.DeleteAsync(name));
    }

    [Fact]
    public async Task Create_without_name_generates_one_and_no_wait_returns_before_ready()
    {
        var s = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", WaitForReady = false })).Sandbox;
        Assert.Matches("^sb-[0-9a-f]{8}$", s.Name);
        Assert.Contains(s.Status, new[] { SandboxStatus.Provisioning, SandboxStatus.Ready });
        var progress = new List<string>();
        var ready = await Client.Sandboxes.WaitForReadyAsync(s.Name, new() { Timeout = TimeSpan.FromSeconds(60), Progress = new SyncProgress<SandboxStatusInfo>(p => progress.Add(p.Status)) });
        Assert.Equal(SandboxStatus.Ready, ready.Status);
        Assert.NotEmpty(progress);
        Assert.Equal(SandboxStatus.Ready, progress[^1]);
        await Client.Sandboxes.DeleteAsync(s.Name);
    }

    [Fact]
    public async Task Create_errors_are_typed()
    {
        var name = fx.NewName("dup");
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name });
        var dup = await Assert.ThrowsAsync<SandboxNameConflictException>(() => Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name }));
        Assert.Equal("SandboxAlreadyExists", dup.ErrorId());
        Assert.Equal("ResourceExists", dup.CategoryName());

        var badName = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = "Bad_Name" }));
        Assert.Equal("name", badName.Field);
        Assert.Equal(422, badName.StatusCode);

        var badCpu = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Vcpus = 999 }));
        Assert.Equal("vcpus", badCpu.Field);

        var noTemplate = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "no-such-template" }));
        Assert.Equal("TemplateNotFound", noTemplate.ErrorId());
        Assert.Equal(400, noTemplate.StatusCode);

        var badEnv = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Environment = new Dictionary<string, string> { ["1BAD"] = "x" } }));
        Assert.Equal("env", badEnv.Field);
        await Client.Sandboxes.DeleteAsync(name);
    }

    [Fact]
    public async Task List_filters_sorting_and_paging_follow_the_response_offset()
    {
        var tag = "pg" + Guid.NewGuid().ToString("N")[..6];
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var s = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = i < 3 ? "base" : "python", Name = $"{tag}-{i}" })).Sandbox;
            names.Add(s.Name);
        }
        await Client.Sandboxes.StopAsync(names[4]);

        var page = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, Limit = 2, SortBy = SandboxSortBy.Name, Ascending = true });
        Assert.Equal([names[0], names[1]], page.Items.Select(s => s.Name));
        Assert.Equal(2, page.NextOffset);
        var page2 = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, Limit = 2, Offset = page.NextOffset, SortBy = SandboxSortBy.Name, Ascending = true });
        Assert.Equal([names[2], names[3]], page2.Items.Select(s => s.Name));

        var all = new List<string>();
        await foreach (var s in Client.Sandboxes.ListAllAsync(new SandboxListQuery { NameContains = tag, Limit = 2, SortBy = SandboxSortBy.Name, Ascending = false }))
            all.Add(s.Name);
        Assert.Equal(names.AsEnumerable().Reverse(), all);

        var python = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, TemplateName = "python" });
        Assert.Equal([names[3], names[4]], python.Items.Select(s => s.Name).Order());
        var stopped = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, Status = SandboxStatus.Stopped });
        Assert.Equal([names[4]], stopped.Items.Select(s => s.Name));
        var byStatus = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, SortBy = SandboxSortBy.Status, Ascending = true });
        Assert.Equal(5, byStatus.Items.Count);
        var byTemplate = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, SortBy = SandboxSortBy.TemplateName, Ascending = false });
        Assert.Equal("python", byTemplate.Items[0].TemplateName);
        var byCreated = await Client.Sandboxes.ListAsync(new SandboxListQuery { NameContains = tag, SortBy = SandboxSortBy.CreatedAt, Ascending = true });
        Assert.Equal(names, byCreated.Items.Select(s => s.Name));

        var bad = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Sandboxes.ListAsync(new SandboxListQuery { Status = "sleeping" }));
        Assert.Equal("status", bad.Field);

        foreach (var n in names) await Client.Sandboxes.DeleteAsync(n);
    }

    [Fact]
    public async Task Find_resolves_exact_names_and_wildcards()
    {
        var tag = "fd" + Guid.NewGuid().ToString("N")[..6];
        foreach (var suffix in new[] { "web-1", "web-2", "db-1" })
            await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = suffix.StartsWith("db") ? "python" : "base", Name = $"{tag}-{suffix}" });

        var web = await Client.Sandboxes.FindAsync($"{tag}-web-*");
        Assert.Equal([$"{tag}-web-1", $"{tag}-web-2"], web.Select(s => s.Name));
        var upper = await Client.Sandboxes.FindAsync($"{tag.ToUpperInvariant()}-WEB-[2-9]");
        Assert.Equal([$"{tag}-web-2"], upper.Select(s => s.Name));
        var ones = await Client.Sandboxes.FindAsync($"{tag}-*-?");
        Assert.Equal(3, ones.Count);
        var byTemplate = await Client.Sandboxes.FindAsync($"{tag}-*", status: null, templateName: "python");
        Assert.Equal([$"{tag}-db-1"], byTemplate.Select(s => s.Name));
        Assert.Empty(await Client.Sandboxes.FindAsync($"{tag}-none-*"));
        var exact = await Client.Sandboxes.FindAsync($"{tag}-db-1");
        Assert.Single(exact);
        Assert.Empty(await Client.Sandboxes.FindAsync($"{tag}-db-1", status: SandboxStatus.Stopped));
        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.FindAsync($"{tag}-db-9"));
        Assert.Equal($"{tag}-db-9", missing.TargetName);
        Assert.Contains((await Client.Sandboxes.FindAsync()).Select(s => s.Name), n => n == $"{tag}-web-1");

        // name_contains carried the longest literal: the server filtered.
        foreach (var s in await Client.Sandboxes.FindAsync($"{tag}-*")) await Client.Sandboxes.DeleteAsync(s.Name);
    }

    [Fact]
    public async Task Update_rename_and_conflict()
    {
        var a = fx.NewName("ren-a");
        var b = fx.NewName("ren-b");
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = a });
        await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = b });

        var updated = await Client.Sandboxes.UpdateAsync(a, new UpdateSandboxRequest { TtlSeconds = 7200, IdleTtlSeconds = 0 });
        Assert.Equal(7200, updated.TtlSeconds);
        Assert.NotNull(updated.ExpiresAt);

        var conflict = await Assert.ThrowsAsync<SandboxNameConflictException>(() => Client.Sandboxes.RenameAsync(a, b));
        Assert.Equal(409, conflict.StatusCode);
        Assert.Equal("SandboxAlreadyExists", conflict.ErrorId());

        var newName = fx.NewName("ren-c");
        var renamed = await Client.Sandboxes.RenameAsync(a, newName);
        Assert.Equal(newName, renamed.Name);
        Assert.Equal(updated.Id, renamed.Id);
        // The dataplane is keyed by id: the old URL still works after a rename.
        Assert.Equal("ok\n", (await Client.Commands.RunAsync(updated, new CommandRequest("echo ok"))).Stdout);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.GetAsync(a));

        await Client.Sandboxes.DeleteAsync(newName);
        await Client.Sandboxes.DeleteAsync(b);
    }

    [Fact]
    public async Task Stop_start_and_wait()
    {
        var name = fx.NewName("stop");
        var s = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name })).Sandbox;
        await Client.Commands.RunAsync(s, new CommandRequest("echo kept > /home/user/kept.txt"));

        var stopped = await Client.Sandboxes.StopAsync(name);
        Assert.Equal(SandboxStatus.Stopped, stopped.Status);
        // (A dataplane call would wake it: the server starts a stopped sandbox for exec, files, glob and grep.)
        var waitStopped = await Assert.ThrowsAsync<SandboxApiException>(() => Client.Sandboxes.WaitForReadyAsync(name, new() { Timeout = TimeSpan.FromSeconds(10) }));
        Assert.Equal("NotReady", waitStopped.ErrorType);
        Assert.Equal("SandboxNotReady", waitStopped.ErrorId());

        await Client.Sandboxes.StartAsync(name);
        var ready = await Client.Sandboxes.WaitForReadyAsync(name, new() { Timeout = TimeSpan.FromSeconds(60) });
        Assert.True(ready.IsReady);
        Assert.Equal("kept\n", (await Client.Commands.RunAsync(ready, new CommandRequest("cat /home/user/kept.txt"))).Stdout);
        await Client.Sandboxes.DeleteAsync(name);
    }

    [Fact]
    public async Task Wait_for_a_missing_sandbox_is_not_found_and_a_short_deadline_times_out()
    {
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.WaitForReadyAsync("no-such-box", new() { Timeout = TimeSpan.FromSeconds(5) }));
        var e = await Assert.ThrowsAsync<SandboxTimeoutException>(() => Client.Sandboxes.WaitForReadyAsync("any", new() { Timeout = TimeSpan.Zero }));
        Assert.Equal("SandboxTimeout", e.ErrorId());
        Assert.Equal("OperationTimeout", e.CategoryName());
    }

    [Fact]
    public async Task Wrong_or_missing_key_is_an_authentication_error()
    {
        using var wrong = new SandboxClient(new SandboxConnectionSettings(fx.Server.Endpoint, "wrong-key"));
        var e403 = await Assert.ThrowsAsync<SandboxAuthenticationException>(() => wrong.Sandboxes.ListAsync());
        Assert.Equal(403, e403.StatusCode);
        Assert.Equal("PermissionDenied", e403.CategoryName());
        using var none = new SandboxClient(new SandboxConnectionSettings(fx.Server.Endpoint, null));
        var e401 = await Assert.ThrowsAsync<SandboxAuthenticationException>(() => none.Sandboxes.GetAsync("x"));
        Assert.Equal(401, e401.StatusCode);
        Assert.Equal("SandboxAuthenticationFailed", e401.ErrorId());
    }

    [Fact]
    public async Task Endpoint_given_with_the_control_plane_suffix_works()
    {
        using var client = fx.Server.CreateClient(endpoint: fx.Server.Endpoint + "/v2/sandboxes/");
        var page = await client.Templates.ListAsync();
        Assert.Contains(page.Items, t => t.Name == "base");
        using var api = fx.Server.CreateClient(endpoint: fx.Server.Endpoint + "/api/v2/sandboxes");
        Assert.Contains((await api.Templates.ListAsync()).Items, t => t.Name == "python");
    }
}

/// <summary>Templates against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class TemplateTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Template_crud_rename_in_use_and_errors()
    {
        var name = fx.NewName("tpl");
        var t = await Client.Templates.CreateAsync(new CreateTemplateRequest { Name = name, Image = "host", Resources = new TemplateResources { Cpu = "500m", Memory = "256Mi", Storage = "1Gi" } });
        Assert.Equal(name, t.Name);
        Assert.Equal(name, t.TemplateName);
        Assert.Equal("host", t.Image);
        Assert.Equal("500m", t.Resources.Cpu);
        Assert.Equal("256Mi", t.Resources.Memory);
        Assert.Empty(t.VolumeMounts);

        Assert.Equal(t.Id, (await Client.Templates.GetAsync(name)).Id);
        var found = await Client.Templates.FindAsync(name[..5] + "*");
        Assert.Contains(found, x => x.Name == name);
        var all = new List<string>();
        await foreach (var x in Client.Templates.ListAllAsync()) all.Add(x.Name);
        Assert.Contains("base", all);
        Assert.Contains(name, all);
        var page = await Client.Templates.ListAsync(new SandboxPageQuery { Limit = 1 });
        Assert.Single(page.Items);
        Assert.Equal(1, page.NextOffset);

        var dup = await Assert.ThrowsAsync<SandboxNameConflictException>(() => Client.Templates.CreateAsync(new CreateTemplateRequest { Name = name, Image = "host", Resources = new TemplateResources { Cpu = "1", Memory = "512Mi" } }));
        Assert.Equal("TemplateAlreadyExists", dup.ErrorId());
        var badCpu = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Templates.CreateAsync(new CreateTemplateRequest { Name = fx.NewName("bad"), Image = "host", Resources = new TemplateResources { Cpu = "lots", Memory = "512Mi" } }));
        Assert.Equal("resources.cpu", badCpu.Field);
        var badImage = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Templates.CreateAsync(new CreateTemplateRequest { Name = fx.NewName("bad"), Image = "docker.io/x", Resources = new TemplateResources { Cpu = "1", Memory = "512Mi" } }));
        Assert.Equal("image", badImage.Field);
        var volumes = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Templates.CreateAsync(new CreateTemplateRequest
        {
            Name = fx.NewName("vol"),
            Image = "host",
            Resources = new TemplateResources { Cpu = "1", Memory = "512Mi" },
            VolumeMounts = [new VolumeMount { VolumeName = "no-such-volume", MountPath = "/data" }],
        }));
        Assert.Equal("VolumeNotFound", volumes.ErrorId());
        Assert.Equal("ObjectNotFound", volumes.CategoryName());

        var newName = fx.NewName("tpl-renamed");
        var renamed = await Client.Templates.RenameAsync(name, newName);
        Assert.Equal(newName, renamed.Name);
        var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Templates.GetAsync(name));
        Assert.Equal("TemplateNotFound", missing.ErrorId());

        var box = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = newName })).Sandbox;
        var inUse = await Assert.ThrowsAsync<SandboxResourceInUseException>(() => Client.Templates.DeleteAsync(newName));
        Assert.Equal("TemplateInUse", inUse.ErrorId());
        Assert.Equal("ResourceBusy", inUse.CategoryName());
        await Client.Sandboxes.DeleteAsync(box.Name);
        await Client.Templates.DeleteAsync(newName);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Templates.DeleteAsync(newName));
    }
}
