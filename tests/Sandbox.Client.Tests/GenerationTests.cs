using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>
/// Template, pool and volume calls against an endpoint of the current generation (emulated: a proxy in front of the real
/// server answers their routes 404 as a server without them does) fail as "not supported by this endpoint", never as a
/// bare 404; sandboxes and snapshots go on working through the same client.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class GenerationTests(ServerFixture fx) : IAsyncLifetime
{
    private static readonly string[] SeedOnlyCollections = ["/v2/sandboxes/templates", "/v2/sandboxes/pools", "/v2/sandboxes/volumes"];
    private FaultProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _proxy = new FaultProxy(fx.Server.Port)
        {
            // What a FastAPI server without the routes answers.
            Rule = r => SeedOnlyCollections.Any(c => r.Path == c || r.Path.StartsWith(c + "/", StringComparison.Ordinal))
                ? new CannedResponse(404, """{"detail":"Not Found"}""")
                : null,
        };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _proxy.DisposeAsync();

    private SandboxClient Client(SandboxApiGeneration generation) =>
        fx.Server.CreateClient(new SandboxClientOptions { Generation = generation, Retry = SandboxRetryPolicy.None }, _proxy.Endpoint);

    [Fact]
    public async Task Auto_finds_out_from_the_first_404_and_then_answers_without_asking()
    {
        using var client = Client(SandboxApiGeneration.Auto);
        var get = await Assert.ThrowsAsync<SandboxNotSupportedException>(() => client.Templates.GetAsync("python"));
        Assert.Contains("not supported by this endpoint", get.Message);
        Assert.Equal("template", get.ResourceType);
        Assert.IsType<SandboxNotFoundException>(get.InnerException);
        var asked = _proxy.Requests.Count;

        // Known now for every seed-only resource: nothing more goes on the wire.
        var pools = await Assert.ThrowsAsync<SandboxNotSupportedException>(() => client.Pools.ListAsync());
        Assert.Equal("pool", pools.ResourceType);
        await Assert.ThrowsAsync<SandboxNotSupportedException>(() => client.Volumes.DeleteAsync("data"));
        Assert.Equal(asked, _proxy.Requests.Count);

        // Sandboxes and snapshots are untouched by it.
        var box = (await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = fx.NewName("gen") })).Sandbox;
        Assert.Equal("ready", (await client.Sandboxes.GetAsync(box.Name)).Status);
        await client.Sandboxes.DeleteAsync(box.Name);
    }

    [Fact]
    public async Task Current_refuses_before_sending_and_Seed_shows_the_404_as_it_is()
    {
        using (var current = Client(SandboxApiGeneration.Current))
        {
            var before = _proxy.Requests.Count;
            var e = await Assert.ThrowsAsync<SandboxNotSupportedException>(() => current.Volumes.CreateAsync("v", "16Mi"));
            Assert.Equal("VolumeNotSupported", e.ErrorType);
            Assert.Null(e.StatusCode);
            Assert.Equal(before, _proxy.Requests.Count);
        }
        using var seed = Client(SandboxApiGeneration.Seed);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => seed.Templates.GetAsync("python"));
    }

    [Fact]
    public async Task On_a_seed_endpoint_a_missing_template_is_still_not_found()
    {
        using var direct = fx.Server.CreateClient(new SandboxClientOptions { Generation = SandboxApiGeneration.Auto });
        var e = await Assert.ThrowsAsync<SandboxNotFoundException>(() => direct.Templates.GetAsync("no-such-template"));
        Assert.Equal("TemplateNotFound", e.ErrorType);
        Assert.NotEmpty(await direct.Templates.FindAsync("*"));
    }
}
