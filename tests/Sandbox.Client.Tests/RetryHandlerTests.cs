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

    [Fact]
    public async Task Every_attempt_is_traced_with_method_url_status_and_retry_number_but_never_the_key()
    {
        var transport = new ScriptedHandler(HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        using var client = ClientOver(transport);
        var lines = new List<string>();
        var untraced = new List<string>();
        await Task.Run(async () =>
        {
            SandboxHttpTrace.Sink = lines.Add;
            await client.Templates.GetAsync("t1");
        });
        // The sink belonged to that flow only: this one is not traced.
        SandboxHttpTrace.Sink = null;
        await client.Templates.GetAsync("t1");
        Assert.Equal(2, lines.Count);
        Assert.Matches(@"^HTTP GET http://127\.0\.0\.1:9/v2/sandboxes/templates/t1 -> 503 Service Unavailable in \d+ ms$", lines[0]);
        Assert.Matches(@"^HTTP GET .*/templates/t1 -> 200 OK in \d+ ms \(retry 1\)$", lines[1]);
        Assert.DoesNotContain(lines, l => l.Contains("key", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_refused_connection_is_tried_twice_not_through_the_whole_back_off()
    {
        // A port nothing listens on: bound, then released.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var delays = new List<TimeSpan>();
        using var client = new SandboxClient(new SandboxConnectionSettings($"http://127.0.0.1:{port}", "key"),
            new SandboxClientOptions { Delay = (d, _) => { delays.Add(d); return Task.CompletedTask; } });
        var lines = new List<string>();
        SandboxHttpTrace.Sink = lines.Add;
        try
        {
            var e = await Assert.ThrowsAsync<SandboxConnectionException>(() => client.Templates.GetAsync("t1"));
            Assert.Contains(port.ToString(), e.Message);
        }
        finally
        {
            SandboxHttpTrace.Sink = null;
        }
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains("failed", l));
        Assert.Equal([SandboxRetryHandler.RefusedRetryDelay], delays);
    }
}
