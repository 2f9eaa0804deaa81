using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Sandbox.Bench;

/// <summary>The measurements. Each phase measures its raw baseline and the server in the same rounds, interleaved.</summary>
internal sealed partial class Bench(Options options, string runId, ServerHost? server, ApiClient? api, string? serverError, CancellationToken ct)
{
    public List<Result> Results { get; } = [];
    public List<string> Errors { get; } = [];
    /// <summary>Server sandboxes that exist now; whatever is here at the end is deleted.</summary>
    public ConcurrentDictionary<string, byte> LiveSandboxes { get; } = new();
    /// <summary>Raw sandboxes that exist now; whatever is here at the end is stopped and unmounted.</summary>
    public ConcurrentDictionary<RawSandbox, byte> LiveRaw { get; } = new();

    private bool ServerUp => api is not null && server is not null && !server.HasExited;
    private string Skip => serverError ?? (server?.HasExited == true ? "server exited" : "no server");

    private static void Log(string s) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");

    /// <summary>Records a server-side failure and shows the end of the server's log next to it.</summary>
    private void Fail(string message)
    {
        Errors.Add(message);
        Log("FAILED " + message);
        if (server is not null)
            foreach (var line in server.LogTail(40)) Console.WriteLine("    server " + line);
    }

    private string Name(string kind, int i) => $"bench-{runId}-{kind}-{i}";

    private RawSandbox StartRaw(string name, params string[] command) => StartRaw(name, RawSandbox.Variant.PlainUpper, command);

    private RawSandbox StartRaw(string name, RawSandbox.Variant variant, params string[] command)
    {
        var sb = RawSandbox.Start(name, variant, command);
        LiveRaw[sb] = 0;
        return sb;
    }

    private void StopRaw(RawSandbox sb)
    {
        sb.Dispose();
        LiveRaw.TryRemove(sb, out _);
    }

    private async Task<SandboxInfo> CreateAsync(string name)
    {
        LiveSandboxes[name] = 0; // before the request: a create that fails half-way is still cleaned up
        return await api!.CreateAsync(name, ct);
    }

    /// <summary>
    /// A create that the server failed (5xx) is recorded as a problem, deleted, and tried once more under
    /// another name, so that one flaky boot does not void a whole memory measurement. Not for timed creates.
    /// </summary>
    private async Task<SandboxInfo> CreateRetryingAsync(string name, List<string> attempted)
    {
        attempted.Add(name);
        try
        {
            return await CreateAsync(name);
        }
        catch (ApiException e) when (e.Message.Contains("HTTP 5", StringComparison.Ordinal))
        {
            Fail($"create {name} failed, retrying once under another name: {e.Message}");
            try { await DeleteAsync(name); } catch (Exception d) when (d is ApiException or HttpRequestException) { }
            attempted.Add(name + "-r");
            return await CreateAsync(name + "-r");
        }
    }

    private async Task DeleteAsync(string name)
    {
        await api!.DeleteAsync(name, ct);
        LiveSandboxes.TryRemove(name, out _);
    }

    /// <summary>Runs a phase; a failure is recorded and the next phase still runs.</summary>
    public async Task RunPhaseAsync(string phase, Func<Task> body)
    {
        if (!options.Phases.Contains(phase)) return;
        ct.ThrowIfCancellationRequested();
        Log($"phase {phase}");
        try
        {
            await body();
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var message = $"phase {phase} failed: {e.GetType().Name}: {e.Message}";
            Errors.Add(message);
            Log(message);
            if (server is not null)
                foreach (var line in server.LogTail(15)) Console.WriteLine("    server " + line);
        }
    }

    // ---------------------------------------------------------------- 1. create-to-ready

    /// <summary>
    /// A pause before each cgroup-touching measurement (every one here: runc puts each container into cgroups): after a
    /// cgroup v1 migration the kernel skips the next migration's RCU grace period for a short while, so back-to-back
    /// measurements would flatter each other.
    /// </summary>
    private const int QuiesceMs = 50;

    public async Task CreateAsync()
    {
        var n = options.CreateIterations;
        var raw = new List<double>();
        var rawLoop = new List<double>();
        var srv = new List<double>();
        string? serverFailure = ServerUp ? null : Skip;
        for (var i = 0; i < options.Warmup + n; i++)
        {
            ct.ThrowIfCancellationRequested();
            var measured = i >= options.Warmup;
            Thread.Sleep(QuiesceMs);
            var t = Stopwatch.GetTimestamp();
            var sb = StartRaw($"create-{i}", "sleep", "infinity");
            var ms = Stats.ElapsedMs(t);
            StopRaw(sb);
            if (measured) raw.Add(ms);

            // The same with the server's storage: a sparse 8 GiB ext4 image made, loop-mounted, holding upper and work.
            Thread.Sleep(QuiesceMs);
            t = Stopwatch.GetTimestamp();
            sb = StartRaw($"create-loop-{i}", RawSandbox.Variant.LoopExt4, "sleep", "infinity");
            ms = Stats.ElapsedMs(t);
            StopRaw(sb);
            if (measured) rawLoop.Add(ms);

            if (serverFailure is not null) continue;
            var name = Name("create", i);
            Thread.Sleep(QuiesceMs);
            try
            {
                t = Stopwatch.GetTimestamp();
                await CreateAsync(name);
                ms = Stats.ElapsedMs(t);
                if (measured) srv.Add(ms);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                serverFailure = e.Message;
                Fail($"create: {e.Message}");
            }
            try
            {
                await DeleteAsync(name); // not timed
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                serverFailure ??= e.Message;
                Fail($"create: delete {name}: {e.Message}");
            }
        }
        const string how = "POST /boxes template base wait_for_ready=true, until 201 | raw: mkdir + mount(2) overlay (plain upper dir) + config.json + runc run --detach (same namespaces, user ns 0->100000, no caps, seccomp, masks) until runc has returned and written its pid file";
        Add("create_ready_p50_ms", "ms", srv, raw, 50, n, how, serverFailure, "<= 1.5x raw", r => r.Ratio <= 1.5);
        Add("create_ready_p90_ms", "ms", srv, raw, 90, n, how, serverFailure);
        Add("create_ready_p50_ms_vs_raw_loop_ext4", "ms", srv, rawLoop, 50, n,
            "the same server p50 against raw runc over an upper layer on the server's storage: sparse 8 GiB image + mkfs.ext4 (the server's options) + mount -o loop, then as above", serverFailure);
        Add("create_ready_p90_ms_vs_raw_loop_ext4", "ms", srv, rawLoop, 90, n, "as above", serverFailure);
    }

    // ---------------------------------------------------------------- 2./3. exec over HTTP and WebSocket

    /// <summary>
    /// nsenter into every namespace of a raw runc sandbox, the user namespace included (-U), so the command runs as
    /// the sandbox's root (host uid 100000), as the server's commands do. nsenter enters the user namespace first and
    /// then the others, sets uid and gid 0 there, and forks once for the pid namespace. Unlike the server's commands it
    /// keeps the bench's cgroups and has the user namespace's capabilities and no seccomp filter.
    /// </summary>
    internal static double RunNsenter(int pid, params string[] command)
    {
        var psi = new ProcessStartInfo("nsenter")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "-t", pid.ToString(CultureInfo.InvariantCulture), "-U", "-m", "-u", "-i", "-n", "-p", "-C" }) psi.ArgumentList.Add(a);
        foreach (var a in command) psi.ArgumentList.Add(a);
        var t = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            throw new TimeoutException("nsenter did not finish in 30 s");
        }
        var ms = Stats.ElapsedMs(t);
        if (p.ExitCode != 0) throw new InvalidOperationException($"nsenter exited {p.ExitCode}: {stderr.Trim()}");
        return ms;
    }

    public async Task ExecAsync()
    {
        var n = options.ExecIterations;
        var rawSb = StartRaw("exec", "sleep", "infinity");
        string? httpFailure = ServerUp ? null : Skip, wsFailure = httpFailure;
        SandboxInfo? box = null;
        if (httpFailure is null)
        {
            try
            {
                box = await CreateAsync(Name("exec", 0));
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                httpFailure = wsFailure = e.Message;
                Fail($"exec: create: {e.Message}");
            }
        }
        var nsenter = new List<double>();
        var nsenterBash = new List<double>();
        var http = new List<double>();
        var ws = new List<double>();
        try
        {
            for (var i = 0; i < options.Warmup + n; i++)
            {
                ct.ThrowIfCancellationRequested();
                var measured = i >= options.Warmup;
                var ms = RunNsenter(rawSb.ChildPid, "true");
                if (measured) nsenter.Add(ms);
                ms = RunNsenter(rawSb.ChildPid, "/bin/bash", "-c", "true");
                if (measured) nsenterBash.Add(ms);
                if (box is null) continue;

                if (httpFailure is null)
                {
                    try
                    {
                        var t = Stopwatch.GetTimestamp();
                        var code = await api!.ExecuteAsync(box.DataplaneUrl, "true", ct);
                        ms = Stats.ElapsedMs(t);
                        if (code != 0) throw new ApiException($"POST /execute 'true' answered exit_code {code}");
                        if (measured) http.Add(ms);
                    }
                    catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                    {
                        httpFailure = e.Message;
                        Fail($"exec http: {e.Message}");
                    }
                }
                if (wsFailure is null)
                {
                    try
                    {
                        var t = Stopwatch.GetTimestamp();
                        var stop = 0L;
                        var (code, _, _) = await api!.ExecuteWebSocketAsync(box.DataplaneUrl, "true", 60, () => stop = Stopwatch.GetTimestamp(), ct);
                        ms = (stop - t) * 1000.0 / Stopwatch.Frequency;
                        if (code != 0) throw new ApiException($"WebSocket exec 'true' ended with exit_code {code}");
                        if (measured) ws.Add(ms);
                    }
                    catch (Exception e) when (e is ApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                    {
                        wsFailure = e.Message;
                        Fail($"exec ws: {e.Message}");
                    }
                }
            }
        }
        finally
        {
            StopRaw(rawSb);
            if (box is not null) await DeleteAsync(box.Name);
        }
        const string rawHow = "raw: Process.Start(nsenter -t PID -U -m -u -i -n -p -C true) into a running raw runc sandbox (PID = its init), output read, until exit";
        Add("exec_http_p50_ms", "ms", http, nsenter, 50, n, "POST {dataplane}/execute {command: true} (default shell /bin/bash), keep-alive HTTP/1.1, until JSON read | " + rawHow, httpFailure, "<= 1.3x raw", r => r.Ratio <= 1.3);
        Add("exec_http_p90_ms", "ms", http, nsenter, 90, n, "as above", httpFailure);
        Add("exec_ws_p50_ms", "ms", ws, nsenter, 50, n, "new WebSocket to {dataplane}/execute/ws, execute frame 'true', until the exit frame (close not timed) | " + rawHow, wsFailure, "<= 1.3x raw", r => r.Ratio <= 1.3);
        Add("exec_ws_p90_ms", "ms", ws, nsenter, 90, n, "as above", wsFailure);
        Add("exec_http_p50_ms_vs_raw_nsenter_bash", "ms", http, nsenterBash, 50, n,
            "informational: the same server p50 against raw nsenter ... /bin/bash -c true, i.e. with the raw side paying for the server's default shell too", httpFailure);
        Add("exec_raw_nsenter_bash_p50_ms", "ms", nsenterBash, nsenter, 50, n,
            "informational, raw vs raw: nsenter ... /bin/bash -c true (what the server's default shell adds) over nsenter ... true", null);
    }

    // ---------------------------------------------------------------- 4. streaming

    internal const string TextCommand = "yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ 2>/dev/null | head -c ";

    /// <summary>Spawns the command with stdout on a pipe, reads it to EOF in 128 KiB reads; MiB/s.</summary>
    internal static double RawPipeMibPerSecond(long bytes, bool text = false)
    {
        var psi = new ProcessStartInfo(text ? "/bin/bash" : "head") { UseShellExecute = false, RedirectStandardOutput = true };
        if (text)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(TextCommand + bytes.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(bytes.ToString(CultureInfo.InvariantCulture));
            psi.ArgumentList.Add("/dev/zero");
        }
        var buffer = new byte[128 * 1024];
        long total = 0;
        var t = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi)!;
        using var watchdog = new Timer(_ => { try { p.Kill(); } catch (Exception) { } }, null, 600_000, Timeout.Infinite);
        var stream = p.StandardOutput.BaseStream;
        int r;
        while ((r = stream.Read(buffer)) > 0) total += r;
        p.WaitForExit(30_000);
        var ms = Stats.ElapsedMs(t);
        if (total != bytes) throw new InvalidOperationException($"raw pipe read {total} bytes, expected {bytes}");
        return bytes / (1024.0 * 1024.0) / (ms / 1000.0);
    }

    public async Task StreamAsync()
    {
        var bytes = options.StreamBytes;
        var raw = new List<double>();
        var srv = new List<double>();
        var rawText = new List<double>();
        var srvText = new List<double>();
        var srvJson = new List<double>();
        string? failure = ServerUp ? null : Skip, textFailure = null;
        SandboxInfo? box = null;
        if (failure is null)
        {
            try
            {
                box = await CreateAsync(Name("stream", 0));
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                failure = e.Message;
                Fail($"stream: create: {e.Message}");
            }
        }
        try
        {
            // One short warm-up of each path (JIT), then the measured repetitions.
            RawPipeMibPerSecond(Math.Min(bytes, 16 << 20));
            if (box is not null)
            {
                try
                {
                    await api!.ExecuteWebSocketAsync(box.DataplaneUrl, $"head -c {Math.Min(bytes, 16 << 20)} /dev/zero", 600, null, ct);
                }
                catch (Exception e) when (e is ApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    failure = $"warm-up: {e.Message}";
                    Fail($"stream: {failure}");
                }
            }
            for (var i = 0; i < options.StreamReps; i++)
            {
                ct.ThrowIfCancellationRequested();
                var mibs = RawPipeMibPerSecond(bytes);
                raw.Add(mibs);
                Log($"  raw pipe rep {i}: {mibs:F0} MiB/s");
                if (box is null || failure is not null) continue;
                try
                {
                    var t = Stopwatch.GetTimestamp();
                    var stop = 0L;
                    var (code, got, offsetEnd) = await api!.ExecuteWebSocketAsync(box.DataplaneUrl, $"head -c {bytes} /dev/zero", 600, () => stop = Stopwatch.GetTimestamp(), ct, binaryOutput: true);
                    var ms = (stop - t) * 1000.0 / Stopwatch.Frequency;
                    if (code != 0) throw new ApiException($"streaming command ended with exit_code {code}");
                    if (got != bytes) throw new ApiException($"WebSocket delivered {got} decoded stdout bytes, expected {bytes} (last offset+len {offsetEnd})");
                    var mibs2 = bytes / (1024.0 * 1024.0) / (ms / 1000.0);
                    srv.Add(mibs2);
                    var st = api.LastStats;
                    Log($"  websocket (binary frames) rep {i}: {mibs2:F0} MiB/s ({got} bytes in {st.Frames} frames)");
                    t = Stopwatch.GetTimestamp();
                    (code, got, _) = await api!.ExecuteWebSocketAsync(box.DataplaneUrl, $"head -c {bytes} /dev/zero", 600, () => stop = Stopwatch.GetTimestamp(), ct);
                    ms = (stop - t) * 1000.0 / Stopwatch.Frequency;
                    if (code != 0 || got != bytes) throw new ApiException($"JSON streaming delivered {got} bytes with exit_code {code}");
                    srvJson.Add(bytes / (1024.0 * 1024.0) / (ms / 1000.0));
                    st = api.LastStats;
                    Log($"  websocket (JSON frames) rep {i}: {srvJson[^1]:F0} MiB/s ({got} bytes decoded from {st.Frames} frames, {st.WireBytes / 1048576.0:F0} MiB of JSON on the wire; client JSON parsing {st.ParseMs / ms:P0} of the time)");
                }
                catch (Exception e) when (e is ApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    failure = e.Message;
                    Fail($"stream: {e.Message}");
                }
            }
            // Informational: printable text (1 byte of JSON per byte of output, where zeros take 6).
            rawText.Add(RawPipeMibPerSecond(bytes, text: true));
            if (box is not null && failure is null)
            {
                try
                {
                    var t = Stopwatch.GetTimestamp();
                    var stop = 0L;
                    var (code, got, _) = await api!.ExecuteWebSocketAsync(box.DataplaneUrl, TextCommand + bytes.ToString(CultureInfo.InvariantCulture), 600, () => stop = Stopwatch.GetTimestamp(), ct);
                    var ms = (stop - t) * 1000.0 / Stopwatch.Frequency;
                    if (code != 0) throw new ApiException($"text streaming command ended with exit_code {code}");
                    if (got != bytes) throw new ApiException($"WebSocket delivered {got} decoded text bytes, expected {bytes}");
                    srvText.Add(bytes / (1024.0 * 1024.0) / (ms / 1000.0));
                    Log($"  text: raw {rawText[^1]:F0} MiB/s, websocket {srvText[^1]:F0} MiB/s");
                }
                catch (Exception e) when (e is ApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    textFailure = e.Message;
                    Fail($"stream text: {e.Message}");
                }
            }
        }
        finally
        {
            if (box is not null) await DeleteAsync(box.Name);
        }
        var mib = bytes / (1024.0 * 1024.0);
        Add("stream_ws_mib_per_s", "MiB/s", srv, raw, 50, options.StreamReps,
            $"median of reps: {mib:F0} MiB of `head -c {bytes} /dev/zero` stdout over the WebSocket with binary output frames (execute frame `binary_output: true`, a local-server extension), bytes and offsets checked, connect to exit frame | raw: Process.Start(head) stdout pipe read to EOF in 128 KiB reads; higher is better",
            failure, ">= 0.5x raw", r => r.Ratio >= 0.5);
        Add("stream_ws_json_mib_per_s", "MiB/s", srvJson, raw, 50, options.StreamReps,
            $"informational: the same zeros in the reference's JSON text frames, where each zero byte is the 6-byte escape \\u0000 | raw: as above",
            failure);
        Add("stream_ws_text_mib_per_s", "MiB/s", srvText, rawText, 50, 1,
            $"informational, 1 rep: {mib:F0} MiB of printable text (`{TextCommand}N`) over the WebSocket | raw: the same bash pipeline into a pipe; higher is better",
            failure ?? textFailure);
    }

    // ---------------------------------------------------------------- 5. idle sandboxes

    public async Task IdleAsync()
    {
        var n = options.IdleCount;
        const int settleMs = 3000;

        // Raw baseline: N runc sandboxes over N overlays, each idling in `sleep infinity`.
        Thread.Sleep(settleMs);
        var memBefore = HostMemory.SettledMemAvailable();
        var raws = new List<RawSandbox>();
        double rawHostPer, rawPssPer, rawCgroupPer;
        try
        {
            for (var i = 0; i < n; i++)
            {
                ct.ThrowIfCancellationRequested();
                raws.Add(StartRaw($"idle-{i}", "sleep", "infinity"));
            }
            Thread.Sleep(settleMs);
            var memAfter = HostMemory.SettledMemAvailable();
            rawHostPer = (memBefore - memAfter) / (double)n;
            // runc has exited once the container runs: what stays is the container's init, in its cgroups.
            rawPssPer = raws.Sum(r => r.Pids().Sum(p => (double)HostMemory.Pss(p))) / n;
            rawCgroupPer = raws.Sum(r => r.CgroupMemoryUsage()) / n;
        }
        finally
        {
            foreach (var r in raws) StopRaw(r);
        }
        Log($"  raw: {HostMemory.Mib(rawHostPer):F3} MiB host memory, {HostMemory.Mib(rawPssPer):F3} MiB Pss, {HostMemory.Mib(rawCgroupPer):F3} MiB memory cgroup usage per sandbox");

        string? failure = ServerUp ? null : Skip;
        double? hostPer = null, pssPer = null, cgroupPer = null, rssBefore = null, rssAfter = null;
        double spreadBefore = 0, spreadAfter = 0;
        var pids = 0;
        var names = new List<string>();
        try
        {
            if (failure is null)
            {
                Thread.Sleep(settleMs); // the raw sandboxes' memory is freed lazily
                var pid = server!.RssPid;
                if (pid is int p0) rssBefore = HostMemory.Rss(p0);
                memBefore = HostMemory.SettledMemAvailable();
                spreadBefore = HostMemory.LastSpread;
                var ids = new List<string>();
                try
                {
                    for (var i = 0; i < n; i++)
                    {
                        ct.ThrowIfCancellationRequested();
                        var name = Name("idle", i);
                        ids.Add((await CreateRetryingAsync(name, names)).Id);
                    }
                }
                catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    failure = $"created {ids.Count} of {n}: {e.Message}";
                    Fail($"idle: {failure}");
                }
                if (failure is null)
                {
                    Thread.Sleep(settleMs);
                    var memAfter = HostMemory.SettledMemAvailable();
                    spreadAfter = HostMemory.LastSpread;
                    if (pid is int p1) rssAfter = HostMemory.Rss(p1);
                    hostPer = (memBefore - memAfter) / (double)n;
                    var pss = 0.0;
                    foreach (var id in ids)
                        foreach (var p in HostMemory.CgroupPids(id))
                        {
                            pss += HostMemory.Pss(p);
                            pids++;
                        }
                    pssPer = pss / n;
                    cgroupPer = ids.Sum(id => HostMemory.SandboxCgroupDirs(id).Where(d => d.StartsWith("/sys/fs/cgroup/memory/", StringComparison.Ordinal))
                        .Sum(HostMemory.CgroupMemoryUsage)) / n;
                }
            }
        }
        finally
        {
            if (names.Count > 0) Log($"  deleting {names.Count} sandboxes");
            foreach (var name in names)
            {
                try
                {
                    await DeleteAsync(name);
                }
                catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    Fail($"idle: delete {name}: {e.Message}");
                }
            }
        }
        var note = $"(MemAvailable before - after)/N, each the median of 5 samples 200 ms apart after a {settleMs} ms settle (sample spread {HostMemory.Mib(spreadBefore):F1} / {HostMemory.Mib(spreadAfter):F1} MiB), no cache drop; includes server growth | raw: N runc+overlay sandboxes (plain upper dirs, no loop-mounted ext4) idling in `sleep infinity`";
        if (hostPer <= 0 || rawHostPer <= 0)
            note = "MemAvailable rose: other activity on the host outweighed the sandboxes, rerun with more of them (--idle-count) | " + note;
        Results.Add(Result.Make("idle_host_mem_per_sandbox_mib", "MiB", hostPer is null ? null : HostMemory.Mib(hostPer.Value), HostMemory.Mib(rawHostPer), n,
            failure is null ? note : $"server: {failure} | {note}", "< 2 MiB", r => r.Value > 0 ? r.Value < 2 : null));
        Results.Add(Result.Make("idle_cgroup_pss_per_sandbox_mib", "MiB", pssPer is null ? null : HostMemory.Mib(pssPer.Value), HostMemory.Mib(rawPssPer), n,
            $"sum of Pss (smaps_rollup) of the {pids} pids in the sandboxes' cgroups / N | raw: the same for the raw runc sandboxes' cgroups"));
        Results.Add(Result.Make("idle_cgroup_mem_usage_per_sandbox_mib", "MiB", cgroupPer is null ? null : HostMemory.Mib(cgroupPer.Value), double.IsNaN(rawCgroupPer) ? null : HostMemory.Mib(rawCgroupPer), n,
            "sum of memory.usage_in_bytes of the sandboxes' memory cgroups / N (kernel-accounted memory charged to them, including kernel memory; blind to other activity on the host) | raw: the same sum over the raw runc sandboxes' memory cgroups (made by runc, no limits)"));
        Results.Add(Result.Make("idle_server_rss_mib", "MiB", rssAfter is null ? null : HostMemory.Mib(rssAfter.Value), rssBefore is null ? null : HostMemory.Mib(rssBefore.Value), n,
            "server VmRSS with N idle sandboxes (value) vs before creating them (baseline)"));
        Results.Add(Result.Make("idle_server_rss_per_sandbox_kib", "KiB", rssAfter is null || rssBefore is null ? null : (rssAfter.Value - rssBefore.Value) / n / 1024.0, null, n,
            "(server VmRSS after - before) / N"));
    }

    private void Add(string metric, string unit, List<double> server, List<double> raw, double percentile, int n, string note, string? failure, string target = "", Func<Result, bool?>? met = null)
    {
        double? value = server.Count > 0 && failure is null ? Stats.Percentile(server, percentile) : null;
        double? baseline = raw.Count > 0 ? Stats.Percentile(raw, percentile) : null;
        Results.Add(Result.Make(metric, unit, value, baseline, n, failure is null ? note : $"server: {failure} | {note}", target, met));
    }
}
