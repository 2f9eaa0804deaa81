namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>
/// One real server (ttl granularity 1) shared by every test class in the "server" collection.
/// Disposal deletes every sandbox it created, kills the server and removes its data dir.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("server not started");

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync(ttlGranularity: 1);

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
