namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>
/// One real server (ttl granularity 1, leap0's data plane on) shared by every test class in the "server" collection.
/// Disposal deletes every sandbox it created, kills the server and removes its data dir.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("server not started");

    /// <summary>The data plane on (off by default), so that leap0's data-plane tests have one.</summary>
    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(ttlGranularity: 1, ["--data-plane-listen", "127.0.0.1:0"]);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
