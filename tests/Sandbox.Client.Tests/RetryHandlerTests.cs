using System.Net;
using System.Text;

namespace Sandbox.Client.Tests;

/// <summary>
/// Retries live in the client's HTTP pipeline (a DelegatingHandler in front of the transport): a transport given through
/// <see cref="SandboxClientOptions.Handler"/> sees every attempt, safe requests are sent again, unsafe ones once.
/// </summary>
public sealed class RetryHandlerTests
{
    private sealed class ScriptedHandler(params HttpStatusCode[] answers) : HttpMessageHandler
    {
        public List<string> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add($"{request.Method} {request.RequestUri!.AbsolutePath}");
            var status = answers[Math.Min(Seen.Count - 1, answers.Length - 1)];
            var body = status == HttpStatusCode.OK ? "{\"name\":\"t1\",\"image\":\"img\"}" : "{\"detail\":{\"error\":\"Unavailable\",\"message\":\"busy\"}}";
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json"), RequestMessage = request });
        }
    }

    private static SandboxClient ClientOver(HttpMessageHandler transport) =>
        new(SandboxConnectionSettings.Resolve("http://127.0.0.1:9", "key", SandboxEnvironment.FromVariables(new Dictionary<string, string>())),
            new SandboxClientOptions { Handler = transport, Delay = (_, _) => Task.CompletedTask });

    [Fact]
    public async Task A_get_is_sent_again_after_503_and_the_transport_sees_each_attempt()
    {
        var transport = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var client = ClientOver(transport);
        var template = await client.Templates.GetAsync("t1");
        Assert.Equal("t1", template.Name);
        Assert.Equal(3, transport.Seen.Count);
        Assert.All(transport.Seen, s => Assert.StartsWith("GET ", s));
    }

    [Fact]
    public async Task A_post_that_creates_is_sent_once()
    {
        var transport = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var client = ClientOver(transport);
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" }));
        Assert.Equal(503, e.StatusCode);
        Assert.Equal(0, e.Retries);
        Assert.Single(transport.Seen);
    }

    [Fact]
    public async Task A_get_that_keeps_failing_reports_how_many_times_it_was_retried()
    {
        var transport = new ScriptedHandler(HttpStatusCode.BadGateway);
        using var client = ClientOver(transport);
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => client.Templates.GetAsync("t1"));
        Assert.Equal(502, e.StatusCode);
        Assert.Equal(client.Options.Retry.MaxRetries, e.Retries);
        Assert.Equal(client.Options.Retry.MaxRetries + 1, transport.Seen.Count);
    }
}
