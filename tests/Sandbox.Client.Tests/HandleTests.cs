using System.Text;
using Sandbox.Client.Protocol;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>Sandbox handles (<c>await using var box = await client.Sandboxes.CreateAsync(...)</c>) against the real local server.</summary>
[Collection(ServerCollection.Name)]
public sealed class HandleTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task A_created_handle_runs_commands_moves_files_cycles_and_deletes_the_sandbox_when_disposed()
    {
        var name = fx.NewName("handle");
        await using (var box = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name }))
        {
            Assert.True(box.DeleteOnDispose);
            Assert.Equal(name, box.Name);
            var run = await box.RunAsync("echo $((6*7)); echo err >&2; exit 3");
            Assert.Equal("42\n", run.Stdout);
            Assert.Equal("err\n", run.Stderr);
            Assert.Equal(3, run.ExitCode);

            var up = await box.UploadAsync("h/data.txt", new MemoryStream(Encoding.UTF8.GetBytes("handle bytes")));
            Assert.Equal(12, up.Written);
            var into = new MemoryStream();
            Assert.Equal(12, await box.DownloadAsync("/home/user/h/data.txt", into));
            Assert.Equal("handle bytes", Encoding.UTF8.GetString(into.ToArray()));

            await using (var session = await box.StartCommandAsync(new CommandRequest("cat") { Stdin = "piped" }))
                Assert.Equal("piped", (await session.CollectAsync()).Stdout);

            Assert.Equal(SandboxStatus.Stopped, (await box.StopAsync()).Status);
            Assert.Equal(SandboxStatus.Stopped, box.Sandbox.Status);
            await box.StartAsync();
            Assert.Equal(SandboxStatus.Ready, (await box.WaitAsync(new() { Timeout = TimeSpan.FromSeconds(60) })).Status);
            Assert.Equal("still\n", (await box.RunAsync("cat h/data.txt >/dev/null && echo still")).Stdout);
        }
        var gone = await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.GetAsync(name));
        Assert.Equal("sandbox", gone.ResourceType);
    }

    [Fact]
    public async Task An_attached_handle_leaves_the_sandbox_and_a_deleted_one_disposes_quietly()
    {
        var name = fx.NewName("attach");
        var created = await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name });
        created.DeleteOnDispose = false;
        await created.DisposeAsync();
        await using (var attached = await Client.Sandboxes.OpenAsync(name))
        {
            Assert.False(attached.DeleteOnDispose);
            Assert.Equal(SandboxStatus.Ready, attached.Sandbox.Status);
        }
        Assert.Equal(name, (await Client.Sandboxes.GetAsync(name)).Name);

        var again = Client.Sandboxes.Attach(await Client.Sandboxes.GetAsync(name));
        again.DeleteOnDispose = true;
        await Client.Sandboxes.DeleteAsync(name);
        await again.DisposeAsync(); // already gone: not an error
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => Client.Sandboxes.GetAsync(name));
    }

    [Fact]
    public async Task Every_named_resource_is_served_through_one_interface()
    {
        IResourceClient<SandboxTemplate> templates = Client.Templates;
        var found = await templates.FindAsync("ba*");
        Assert.Contains(found, t => t.Name == "base");
        Assert.Equal("base", (await templates.GetAsync("base")).Name);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => templates.FindAsync("no-such-template"));

        IRenamableResourceClient<SandboxVolume> volumes = Client.Volumes;
        var name = fx.NewName("ivol");
        await Client.Volumes.CreateAsync(name, "8Mi");
        var renamed = await volumes.RenameAsync(name, name + "-r");
        Assert.Equal(name + "-r", renamed.Name);
        Assert.Empty(await volumes.FindAsync(name + "-r-*"));
        await volumes.DeleteAsync(name + "-r");
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => volumes.GetAsync(name + "-r"));
    }

    [Fact]
    public async Task Sandbox_filters_on_another_resource_are_refused_before_sending()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Client.Pools.ListAsync(new SandboxListQuery { Status = SandboxStatus.Ready }));
        Assert.Equal("query", e.ParamName);
        Assert.Contains("sandboxes only", e.Message);
    }
}

/// <summary>The seed dialect's requests: paths, bodies and which are safe to retry.</summary>
public sealed class SeedDialectTests
{
    private readonly SeedDialect _seed = new("http://h/v2/sandboxes");

    [Fact]
    public void Named_resources_route_by_kind_and_escape_keys()
    {
        var get = _seed.Get(SandboxResourceKind.Template, "a b");
        Assert.Equal((HttpMethod.Get, "http://h/v2/sandboxes/templates/a%20b", true), (get.Method, get.Url, get.Retryable));
        Assert.Equal("http://h/v2/sandboxes/boxes/x", _seed.Delete(SandboxResourceKind.Sandbox, "x").Url);
        Assert.True(_seed.Delete(SandboxResourceKind.Volume, "v").Retryable);
        var rename = _seed.Rename(SandboxResourceKind.Pool, "p", "q");
        Assert.Equal((HttpMethod.Patch, false), (rename.Method, rename.Retryable));
        Assert.Equal("""{"name":"q"}""", System.Text.Json.JsonSerializer.Serialize(rename.Body, rename.Body!.GetType(), _seed.Json));
        Assert.Throws<SandboxNotSupportedException>(() => _seed.Rename(SandboxResourceKind.Snapshot, "id", "n"));
        Assert.Throws<ArgumentException>(() => _seed.Get(SandboxResourceKind.Pool, ""));
    }

    [Fact]
    public void Lists_carry_the_page_and_sandbox_filters()
    {
        var list = _seed.List(SandboxResourceKind.Sandbox, new SandboxListQuery { Limit = 5, Offset = 10, NameContains = "a&b", Status = "ready", SortBy = SandboxSortBy.Name, Ascending = true });
        Assert.Equal("http://h/v2/sandboxes/boxes?limit=5&offset=10&name_contains=a%26b&status=ready&sort_by=name&sort_direction=asc", list.Url);
        Assert.Equal("http://h/v2/sandboxes/volumes?limit=1", _seed.List(SandboxResourceKind.Volume, new SandboxPageQuery { Limit = 1 }).Url);
        var page = _seed.ReadPage<SandboxVolume>(SandboxResourceKind.Volume, System.Text.Json.JsonDocument.Parse("""{"volumes":[{"name":"v"}]}""").RootElement, new SandboxPageQuery { Offset = 4 });
        Assert.Equal(("v", 5), (page.Items.Single().Name, page.NextOffset));
    }

    [Fact]
    public void Lifecycle_actions_are_retried_and_commands_are_not()
    {
        var stop = _seed.Act("b", SandboxAction.Stop);
        Assert.Equal((HttpMethod.Post, "http://h/v2/sandboxes/boxes/b/stop", true), (stop.Method, stop.Url, stop.Retryable));
        Assert.Equal("http://h/v2/sandboxes/boxes/b/resume", _seed.Act("b", SandboxAction.Resume).Url);
        var box = new Sandbox { Name = "b", DataplaneUrl = "https://dp/b/" };
        var exec = _seed.Execute(box, new CommandRequest("ls") { WorkingDirectory = "/tmp" }, "ls");
        Assert.Equal(("https://dp/b/execute", false), (exec.Url, exec.Retryable));
        Assert.Equal("wss://dp/b/execute/ws", _seed.CommandSocket(box).ToString());
        var notReady = Assert.Throws<SandboxApiException>(() => _seed.Download(new Sandbox { Name = "p", Status = "provisioning" }, "f"));
        Assert.Equal("NotReady", notReady.ErrorType);
        Assert.Equal(new CommandFrame("exit", null, null, 3, null, null, null), _seed.ReadFrame("""{"type":"exit","exit_code":3,"extra":[1]}"""u8));
        Assert.Null(_seed.ReadFrame("not json"u8));
    }
}
