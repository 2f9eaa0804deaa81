using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's LSP and SSH endpoints: the local server has neither and says so in leap0's error body.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0UnsupportedTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Lsp_and_ssh_answer_not_supported_by_the_local_server()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0unsup");
        var calls = new (HttpMethod Method, string Path, string Says)[]
        {
            (HttpMethod.Post, "lsp/start", "language servers"), (HttpMethod.Post, "lsp/stop", "language servers"),
            (HttpMethod.Post, "lsp/completions", "language servers"), (HttpMethod.Post, "lsp/document-symbols", "language servers"),
            (HttpMethod.Post, "lsp/did-open", "language servers"), (HttpMethod.Post, "lsp/did-close", "language servers"),
            (HttpMethod.Post, "ssh/access", "SSH"), (HttpMethod.Delete, "ssh/access", "SSH"), (HttpMethod.Delete, "ssh/abc", "SSH"),
            (HttpMethod.Post, "ssh/abc/validate", "SSH"), (HttpMethod.Post, "ssh/abc/regen", "SSH"),
            (HttpMethod.Post, "ssh/validate", "SSH"), (HttpMethod.Post, "ssh/regen", "SSH"),
        };
        foreach (var (method, path, says) in calls)
        {
            var r = (await Api.SendAsync(http, method, $"v1/sandbox/{box.Id}/{path}", Api.JsonBody(new { language_id = "python", path_to_project = "/home/user" }))).ExpectLeap0Error(400);
            Assert.Equal("NotSupported", r.Json.Str("error"));
            Assert.Contains("not supported by the local server", r.Json.Str("message"));
            Assert.Contains(says, r.Json.Str("message"));
        }
        (await http.L0PostAsync("v1/sandbox/no-such-id/lsp/start", new { })).ExpectLeap0Error(404);
        (await http.L0PostAsync("v1/sandbox/no-such-id/ssh/access", new { })).ExpectLeap0Error(404);
    }
}
