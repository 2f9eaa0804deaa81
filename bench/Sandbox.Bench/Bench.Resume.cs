using System.Diagnostics;
using System.Net;

namespace Sandbox.Bench;

/// <summary>
/// Phase <c>resume</c>: resume-to-first-command latency. Each iteration pauses a sandbox (not timed), then times
/// <c>POST /boxes/{name}/resume</c> followed by <c>POST {dataplane}/execute {command: true}</c> until the JSON is read.
/// Compared with raw <c>nsenter ... true</c> into a running raw runc sandbox (the exec phase's baseline), and, informationally,
/// with the same execute on a running sandbox and with an execute sent straight to a paused sandbox (which resumes it).
/// </summary>
internal sealed partial class Bench
{
    public async Task ResumeAsync()
    {
        var n = options.ExecIterations;
        var rawSb = StartRaw("resume", "sleep", "infinity");
        string? failure = ServerUp ? null : Skip;
        using var http = failure is null ? PoolHttp() : null;
        SandboxInfo? box = null;
        var resume = new List<double>();
        var autoResume = new List<double>();
        var running = new List<double>();
        var nsenter = new List<double>();
        try
        {
            if (http is not null) box = await CreateAsync(Name("resume", 0));
            for (var i = 0; i < options.Warmup + n; i++)
            {
                ct.ThrowIfCancellationRequested();
                var measured = i >= options.Warmup;
                var ms = RunNsenter(rawSb.ChildPid, "true");
                if (measured) nsenter.Add(ms);
                if (box is null || http is null || failure is not null) continue;

                // Exec on a running sandbox.
                var t = Stopwatch.GetTimestamp();
                await ExecTrueAsync(http, box);
                if (measured) running.Add(Stats.ElapsedMs(t));

                // Pause, then resume + first command.
                await SendAsync(http, HttpMethod.Post, $"boxes/{box.Name}/pause", new { }, HttpStatusCode.OK);
                t = Stopwatch.GetTimestamp();
                await SendAsync(http, HttpMethod.Post, $"boxes/{box.Name}/resume", new { }, HttpStatusCode.OK);
                await ExecTrueAsync(http, box);
                if (measured) resume.Add(Stats.ElapsedMs(t));

                // Pause, then the command alone (the dataplane resumes the sandbox first).
                await SendAsync(http, HttpMethod.Post, $"boxes/{box.Name}/pause", new { }, HttpStatusCode.OK);
                t = Stopwatch.GetTimestamp();
                await ExecTrueAsync(http, box);
                if (measured) autoResume.Add(Stats.ElapsedMs(t));
            }
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            failure = e.Message;
            Fail($"resume: {e.Message}");
        }
        finally
        {
            StopRaw(rawSb);
            if (box is not null) await DeleteAsync(box.Name);
        }
        const string rawHow = "raw: Process.Start(nsenter -t PID -U -m -u -i -n -p -C true) into a running raw runc sandbox, until exit";
        Add("resume_first_command_p50_ms", "ms", resume, nsenter, 50, n,
            "paused sandbox (freezer FROZEN): POST /boxes/{name}/resume then POST {dataplane}/execute {command: true}, keep-alive, until JSON read | " + rawHow, failure);
        Add("resume_first_command_p90_ms", "ms", resume, nsenter, 90, n, "as above", failure);
        Add("resume_first_command_p50_ms_vs_running_exec", "ms", resume, running, 50, n,
            "informational: the resume + first command above | POST {dataplane}/execute {command: true} on a running sandbox", failure);
        Add("exec_on_paused_p50_ms_vs_running_exec", "ms", autoResume, running, 50, n,
            "informational: POST {dataplane}/execute {command: true} sent to a paused sandbox (the dataplane resumes it first) | the same on a running sandbox", failure);
    }

    private async Task ExecTrueAsync(HttpClient http, SandboxInfo box)
    {
        var r = await SendAsync(http, HttpMethod.Post, box.DataplaneUrl + "/execute", new { command = "true" }, HttpStatusCode.OK);
        if (r.GetProperty("exit_code").GetInt32() != 0) throw new ApiException($"execute 'true' answered {r}");
    }
}
