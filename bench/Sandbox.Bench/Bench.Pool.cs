using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sandbox.Bench;

/// <summary>
/// Phase <c>pool</c>: create-to-ready of a sandbox handed over by a warm pool, against a cold create (template <c>base</c>)
/// and raw mkdir + mount + runc run, interleaved in the same rounds. The pooled template has base's resources (1 cpu, 512Mi).
/// </summary>
internal sealed partial class Bench
{
    private const int PoolReplicas = 4;

    public async Task PoolAsync()
    {
        var n = options.CreateIterations;
        var raw = new List<double>();
        var cold = new List<double>();
        var pooled = new List<double>();
        string? failure = ServerUp ? null : Skip;
        var template = $"bench-{runId}-pooltpl";
        var pool = $"bench-{runId}-pool";
        using var http = failure is null ? PoolHttp() : null;
        try
        {
            if (http is not null)
            {
                await SendAsync(http, HttpMethod.Post, "templates", new { name = template, image = "host", resources = new { cpu = "1", memory = "512Mi" } }, HttpStatusCode.Created);
                await SendAsync(http, HttpMethod.Post, "pools", new { name = pool, template_name = template, replicas = PoolReplicas, wait_for_ready = true, timeout = 120 }, HttpStatusCode.Created);
            }
            for (var i = 0; i < options.Warmup + n; i++)
            {
                ct.ThrowIfCancellationRequested();
                var measured = i >= options.Warmup;
                Thread.Sleep(QuiesceMs);
                var t = Stopwatch.GetTimestamp();
                var sb = StartRaw($"pool-raw-{i}", "sleep", "infinity");
                var ms = Stats.ElapsedMs(t);
                StopRaw(sb);
                if (measured) raw.Add(ms);
                if (failure is not null || http is null) continue;
                try
                {
                    Thread.Sleep(QuiesceMs);
                    var coldName = Name("pool-cold", i);
                    t = Stopwatch.GetTimestamp();
                    await CreateAsync(coldName);
                    ms = Stats.ElapsedMs(t);
                    if (measured) cold.Add(ms);
                    await DeleteAsync(coldName);

                    // From a full pool: wait (untimed) until the refill after the previous claim is done.
                    await WaitPoolFullAsync(http, pool);
                    Thread.Sleep(QuiesceMs);
                    var name = Name("pool", i);
                    LiveSandboxes[name] = 0;
                    t = Stopwatch.GetTimestamp();
                    var created = await SendAsync(http, HttpMethod.Post, "boxes", new { template_name = template, name, wait_for_ready = true, timeout = 60 }, HttpStatusCode.Created);
                    ms = Stats.ElapsedMs(t);
                    if (created.GetProperty("status").GetString() != "ready") throw new ApiException($"pooled create {name} answered status {created.GetProperty("status")}");
                    if (measured) pooled.Add(ms);
                    await DeleteAsync(name);
                }
                catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    failure = e.Message;
                    Fail($"pool: {e.Message}");
                }
            }
        }
        catch (Exception e) when (e is ApiException or HttpRequestException && failure is null)
        {
            failure = e.Message;
            Fail($"pool: {e.Message}");
        }
        finally
        {
            if (http is not null)
            {
                try
                {
                    await SendAsync(http, HttpMethod.Delete, $"pools/{pool}", null, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
                    await SendAsync(http, HttpMethod.Delete, $"templates/{template}", null, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
                }
                catch (Exception e) when (e is ApiException or HttpRequestException)
                {
                    Fail($"pool: cleanup: {e.Message}");
                }
            }
        }
        const string how = "POST /boxes for a template with a warm pool (4 replicas, refilled before each round), wait_for_ready=true, until 201 | raw: mkdir + mount(2) overlay + runc run --detach (the create phase's raw baseline) until runc has returned";
        Add("pool_create_ready_p50_ms", "ms", pooled, raw, 50, n, how, failure, "p50 from a pool < 5 ms end to end", r => r.Value < 5);
        Add("pool_create_ready_p90_ms", "ms", pooled, raw, 90, n, how, failure);
        Add("pool_cold_create_ready_p50_ms", "ms", cold, raw, 50, n,
            "the same round's cold create: POST /boxes template base (no pool), wait_for_ready=true, until 201 | raw: as above", failure);
        Add("pool_create_ready_p50_ms_vs_cold", "ms", pooled, cold, 50, n,
            "informational: pooled p50 | cold create p50 of the same rounds (baseline column is the cold create)", failure);
    }

    private HttpClient PoolHttp()
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(server!.Endpoint + "/v2/sandboxes/"),
            Timeout = TimeSpan.FromSeconds(180),
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", server.ApiKey);
        return http;
    }

    private async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object? body, params HttpStatusCode[] expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!expected.Contains(response.StatusCode))
            throw new ApiException($"{method} /{path}: HTTP {(int)response.StatusCode} {(text.Length > 400 ? text[..400] : text)}");
        if (text.Length == 0) return default;
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    private async Task WaitPoolFullAsync(HttpClient http, string pool)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var p = await SendAsync(http, HttpMethod.Get, $"pools/{pool}", null, HttpStatusCode.OK);
            if (p.TryGetProperty("ready_replicas", out var ready) && ready.GetInt32() >= PoolReplicas) return;
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new ApiException($"pool {pool} did not refill within 60 s: {p}");
            await Task.Delay(10, ct);
        }
    }
}
