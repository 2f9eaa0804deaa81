using System.Diagnostics;

namespace Sandbox.Bench;

/// <summary>
/// Phase <c>leap0</c>: leap0's <c>POST /v1/sandbox/{id}/process/execute {command: true}</c> against LangSmith's
/// <c>POST {dataplane}/execute</c> of the same command on the same sandbox, in the same rounds. /v1 runs its command
/// with <c>/bin/sh -c</c>, so the compared /v2 call passes <c>shell: /bin/sh</c> (like for like); /v2 with its
/// default shell (<c>/bin/bash</c>) is measured too, informationally. The order of the calls changes every round
/// (all six orders in turn).
/// </summary>
internal sealed partial class Bench
{
    public async Task Leap0Async()
    {
        var n = options.ExecIterations;
        string? failure = ServerUp ? null : Skip;
        SandboxInfo? box = null;
        List<double> v1 = [], v2 = [], v2Bash = [];
        try
        {
            if (failure is null)
            {
                box = await CreateAsync(Name("leap0", 0));
                var calls = new (List<double> Samples, Func<Task<int>> Call)[]
                {
                    (v1, () => api!.Leap0ExecuteAsync(box.Id, "true", ct)),
                    (v2, () => api!.ExecuteAsync(box.DataplaneUrl, "true", ct, shell: "/bin/sh")),
                    (v2Bash, () => api!.ExecuteAsync(box.DataplaneUrl, "true", ct)),
                };
                // Every order of the three in turn, so that each call follows each other one equally often (a call can
                // pay for what the one before it left to clean up after its answer: a plain rotation would keep /v1
                // always right after the bash execute).
                int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
                for (var i = 0; i < options.Warmup + n; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    foreach (var k in orders[i % orders.Length])
                    {
                        var (samples, call) = calls[k];
                        var t = Stopwatch.GetTimestamp();
                        var code = await call();
                        var ms = Stats.ElapsedMs(t);
                        if (code != 0) throw new ApiException($"execute 'true' answered exit_code {code}");
                        if (i >= options.Warmup) samples.Add(ms);
                    }
                }
            }
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            failure = e.Message;
            Fail($"leap0: {e.Message}");
        }
        finally
        {
            if (box is not null) await DeleteAsync(box.Name);
        }
        const string v1How = "POST /v1/sandbox/{id}/process/execute {command: true} (authorization: Bearer, /bin/sh -c), keep-alive, until JSON read";
        const string v2How = "POST {dataplane}/execute {command: true, shell: /bin/sh} on the same sandbox and connection pool, same rounds";
        Add("leap0_exec_p50_ms", "ms", v1, v2, 50, n, $"{v1How} | {v2How}", failure, "<= 1.1x /v2", r => r.Ratio <= 1.1);
        Add("leap0_exec_p95_ms", "ms", v1, v2, 95, n, "as above", failure);
        Add("leap0_exec_p50_ms_vs_v2_bash", "ms", v1, v2Bash, 50, n,
            "informational: the same /v1 p50 | POST {dataplane}/execute {command: true} with the default shell /bin/bash", failure);
    }
}
