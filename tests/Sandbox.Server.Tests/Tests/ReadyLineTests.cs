using Sandbox.Server.Launcher;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>The server's ready signal, which every launcher (module, fixtures, bench) waits on.</summary>
[Collection(ServerCollection.Name)]
public sealed class ReadyLineTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task The_ready_line_names_the_serving_process_its_endpoint_and_data_dir_after_the_human_line()
    {
        var ready = S.Ready ?? throw new InvalidOperationException("the fixture's server has no ready line");
        Assert.Equal(S.Pid, ready.Pid);
        Assert.Equal(S.BaseUrl.ToString().TrimEnd('/'), ready.Endpoint);
        Assert.Equal(Path.GetFullPath(S.DataDir), Path.GetFullPath(ready.DataDir));
        (await Api.SendAsync(S.Anonymous, HttpMethod.Get, "healthz")).Expect(200);

        // People (and the docs) still read "listening on"; the ready line comes after it.
        var log = S.Log;
        var human = log.LastIndexOf("listening on " + ready.Endpoint, StringComparison.Ordinal);
        var machine = log.LastIndexOf("\"event\":\"ready\"", StringComparison.Ordinal);
        Assert.True(human >= 0, "no 'listening on' line:\n" + log);
        Assert.True(machine > human, "the ready line does not follow the 'listening on' line:\n" + log);
    }
}

/// <summary>Reading the ready line, without a server.</summary>
public sealed class ServerReadyParsingTests
{
    [Fact]
    public void A_ready_line_round_trips()
    {
        var line = new ServerReady("http://127.0.0.1:4321", 42, "/var/tmp/d").ToLine();
        Assert.True(ServerReady.TryParse(line, out var ready));
        Assert.Equal(new ServerReady("http://127.0.0.1:4321", 42, "/var/tmp/d"), ready);
    }

    [Theory]
    [InlineData("listening on http://127.0.0.1:4321")]
    [InlineData("{\"event\":\"stopping\",\"endpoint\":\"http://127.0.0.1:1\",\"pid\":1,\"data_dir\":\"/d\"}")]
    [InlineData("{\"event\":\"ready\",\"pid\":1,\"data_dir\":\"/d\"}")]
    [InlineData("{\"event\":\"ready\",\"endpoint\":\"not a url\",\"pid\":1,\"data_dir\":\"/d\"}")]
    [InlineData("{\"event\":\"ready\",\"endpoint\":\"http://127.0.0.1:1\",\"pid\":\"1\",\"data_dir\":\"/d\"}")]
    [InlineData("{\"event\":\"ready\",")]
    [InlineData("")]
    public void Other_lines_are_not_ready_lines(string line) => Assert.False(ServerReady.TryParse(line, out _));

    [Fact]
    public void A_trailing_slash_is_dropped_from_the_endpoint()
    {
        Assert.True(ServerReady.TryParse("{\"event\":\"ready\",\"endpoint\":\"http://[::1]:80/\",\"pid\":7,\"data_dir\":\"/d\"}", out var ready));
        Assert.Equal("http://[::1]:80", ready!.Endpoint);
    }
}
