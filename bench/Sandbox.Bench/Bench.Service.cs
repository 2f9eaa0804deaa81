using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Sandbox.Bench;

/// <summary>
/// Phase <c>service</c>: latency of a GET of a small file from a web server inside a sandbox (<c>python3 -m http.server</c>
/// on 127.0.0.1) through its service URL, against the same GET made directly inside the sandbox's network namespace.
/// Proxy side: the bench's HttpClient (keep-alive) -> server -> helper-connected socket (pooled) -> the app.
/// Baseline: a Python <c>http.client</c> keep-alive connection to 127.0.0.1:port inside the sandbox, timed by Python
/// (<c>perf_counter</c>) around each request and full body read: no proxy, no host network hop. The baseline's client is
/// Python, slower per request than .NET's, so the ratio understates the overhead slightly rather than overstating it.
/// </summary>
internal sealed partial class Bench
{
    private const int ServicePort = 8765;

    public async Task ServiceAsync()
    {
        var n = options.ExecIterations;
        var proxied = new List<double>();
        var direct = new List<double>();
        string? failure = ServerUp ? null : Skip;
        using var http = failure is null ? PoolHttp() : null;
        SandboxInfo? box = null;
        try
        {
            if (http is not null)
            {
                box = await CreateAsync(Name("service", 0));
                var start = await SendAsync(http, HttpMethod.Post, box.DataplaneUrl + "/execute", new
                {
                    command = "mkdir -p /home/user/site && head -c 1024 /dev/urandom > /home/user/site/small.bin && cd /home/user/site && " +
                              $"(setsid python3 -m http.server {ServicePort} --bind 127.0.0.1 < /dev/null > /tmp/http.log 2>&1 &) && " +
                              $"for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {ServicePort}), 1)' 2>/dev/null && exit 0; sleep 0.1; done; exit 1",
                    timeout = 60,
                }, HttpStatusCode.OK);
                if (start.GetProperty("exit_code").GetInt32() != 0) throw new ApiException($"the web server did not start: {start}");

                var url = await SendAsync(http, HttpMethod.Post, $"boxes/{box.Name}/service-url", new { port = ServicePort, expires_in_seconds = 3600 }, HttpStatusCode.OK);
                var serviceUrl = url.GetProperty("service_url").GetString()!;
                var token = url.GetProperty("token").GetString()!;
                using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = TimeSpan.FromSeconds(30) };
                client.DefaultRequestHeaders.Add("X-Langsmith-Sandbox-Service-Token", token);
                for (var i = 0; i < options.Warmup + n; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    var t = Stopwatch.GetTimestamp();
                    using var response = await client.GetAsync(serviceUrl + "/small.bin", ct);
                    var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                    var ms = Stats.ElapsedMs(t);
                    if (response.StatusCode != HttpStatusCode.OK || bytes.Length != 1024) throw new ApiException($"service GET answered {(int)response.StatusCode} with {bytes.Length} bytes");
                    if (i >= options.Warmup) proxied.Add(ms);
                }

                // The baseline, inside the namespace: the same number of warm-up and measured GETs on one connection.
                var script = "import http.client,time\n" +
                             $"c=http.client.HTTPConnection('127.0.0.1',{ServicePort})\n" +
                             $"for i in range({options.Warmup + n}):\n" +
                             " t=time.perf_counter(); c.request('GET','/small.bin'); r=c.getresponse(); b=r.read(); ms=(time.perf_counter()-t)*1000\n" +
                             " assert r.status==200 and len(b)==1024\n" +
                             $" if i>={options.Warmup}: print('%.4f'%ms)\n";
                var run = await SendAsync(http, HttpMethod.Post, box.DataplaneUrl + "/execute", new { command = "python3 - <<'EOF'\n" + script + "EOF", timeout = 300 }, HttpStatusCode.OK);
                if (run.GetProperty("exit_code").GetInt32() != 0) throw new ApiException($"the in-sandbox client failed: {run}");
                direct.AddRange(run.GetProperty("stdout").GetString()!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)));
            }
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            failure = e.Message;
            Fail($"service: {e.Message}");
        }
        finally
        {
            if (box is not null) await DeleteAsync(box.Name);
        }
        const string how = "GET of a 1 KiB file from python3 -m http.server inside the sandbox through the service URL (token header, keep-alive) | " +
                           "the same GET from inside the sandbox's namespace: Python http.client keep-alive to 127.0.0.1, timed in Python";
        Add("service_proxy_get_p50_ms", "ms", proxied, direct, 50, n, how, failure);
        Add("service_proxy_get_p90_ms", "ms", proxied, direct, 90, n, how, failure);
    }
}
