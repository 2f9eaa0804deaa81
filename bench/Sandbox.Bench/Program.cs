using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sandbox.Bench;

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
if (Native.GetEuid() != 0)
{
    Console.Error.WriteLine("the bench needs root (overlay and loop mounts, runc, nsenter), as the server does");
    return 2;
}
foreach (var tool in new[] { "runc", "nsenter", "head", "mkfs.ext4", "mount", "umount" })
    if (!(Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':').Append("/usr/sbin").Any(d => File.Exists(Path.Combine(d, tool))))
    {
        Console.Error.WriteLine($"{tool} not found on PATH (runc: apt-get install -y runc)");
        return 2;
    }
if (!File.Exists(options.SeccompProfile))
{
    Console.Error.WriteLine($"the seccomp profile {options.SeccompProfile} is missing (Debian package golang-github-containers-common), as the server needs it");
    return 2;
}

JsonStrings.SelfCheck();
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Console.Error.WriteLine("interrupted: cleaning up");
    cts.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    cts.Cancel();
});

var outPath = Path.GetFullPath(options.Out);
var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
var root = Directory.CreateTempSubdirectory("sandbox-bench-").FullName;
var rawRoot = Path.Combine(root, "raw");
var dataDir = Path.Combine(root, "server");
Directory.CreateDirectory(rawRoot);
RawSandbox.Setup(rawRoot, runId, options.SeccompProfile);
Console.WriteLine($"sandbox bench {runId}: {(options.Quick ? "quick" : "full")} run, temp dir {root}");
Console.WriteLine($"  create x{options.CreateIterations}, exec x{options.ExecIterations} (warm-up {options.Warmup}), stream {options.StreamBytes} bytes x{options.StreamReps}, idle {options.IdleCount}, client GET x{options.ClientIterations}, client stream {options.ClientStreamBytes} bytes x{options.StreamReps}");

ServerHost? server = null;
ApiClient? api = null;
string? serverError = null;
Bench? bench = null;
var cleanupErrors = new List<string>();
try
{
    try
    {
        if (options.Endpoint is not null)
            server = ServerHost.Attach(options.Endpoint, options.ApiKeyFile!, options.ServerPid);
        else
        {
            var dll = options.ServerDll ?? ServerHost.DefaultServerDll();
            if (!File.Exists(dll)) throw new FileNotFoundException($"no server build at {dll}");
            Console.WriteLine($"starting {dll}");
            server = ServerHost.Start(dll, dataDir, TimeSpan.FromSeconds(60));
        }
        api = new ApiClient(server.Endpoint, server.ApiKey);
        Console.WriteLine($"server at {server.Endpoint}" + (server.RssPid is int pid ? $", pid {pid}" : ""));
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        serverError = $"server unavailable: {e.Message}";
        Console.WriteLine(serverError);
        Console.WriteLine("measuring the raw baselines only");
    }

    bench = new Bench(options, runId, server, api, serverError?.Split('\n')[0], cts.Token);
    await bench.RunPhaseAsync("create", bench.CreateAsync);
    await bench.RunPhaseAsync("exec", bench.ExecAsync);
    await bench.RunPhaseAsync("leap0", bench.Leap0Async);
    // Idle before stream: streaming 256 MiB grows the server's heap, and its later release would show up
    // as host memory coming back while the idle sandboxes are measured.
    await bench.RunPhaseAsync("idle", bench.IdleAsync);
    await bench.RunPhaseAsync("stream", bench.StreamAsync);
    await bench.RunPhaseAsync("client", bench.ClientAsync);
    await bench.RunPhaseAsync("pool", bench.PoolAsync);
    await bench.RunPhaseAsync("service", bench.ServiceAsync);
    await bench.RunPhaseAsync("resume", bench.ResumeAsync);
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("interrupted");
}
finally
{
    Cleanup();
}

if (bench is null) return 1;
string[] order = ["create_", "exec_", "leap0_", "stream_", "idle_", "client_", "pool_", "service_"];
var results = bench.Results.OrderBy(r => Array.FindIndex(order, p => r.Metric.StartsWith(p, StringComparison.Ordinal))).ToList();
Console.WriteLine();
Console.Write(Result.Table(results));
Console.WriteLine("\nhow each row was measured (server | raw baseline):");
foreach (var r in results) Console.WriteLine($"  {r.Metric}: {r.Note}");
await File.WriteAllLinesAsync(outPath, results.Select(r => r.ToJson()));
Console.WriteLine($"\nwrote {results.Count} JSON lines to {outPath}");
var problems = new List<string>();
if (serverError is not null) problems.Add(serverError);
problems.AddRange(bench.Errors);
problems.AddRange(cleanupErrors);
foreach (var p in problems) Console.WriteLine("problem: " + p);
return problems.Count == 0 && !cts.IsCancellationRequested ? 0 : 1;

// Everything this run made goes away, whatever happened: server sandboxes, the server, raw sandboxes,
// mounts, cgroups of our own data dir, the temp dir. Every wait here is bounded.
void Cleanup()
{
    if (bench is not null && api is not null && !bench.LiveSandboxes.IsEmpty)
    {
        Console.WriteLine($"cleanup: deleting {bench.LiveSandboxes.Count} sandboxes");
        foreach (var name in bench.LiveSandboxes.Keys.ToList())
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                api.DeleteAsync(name, timeout.Token).GetAwaiter().GetResult();
                bench.LiveSandboxes.TryRemove(name, out _);
            }
            catch (Exception e)
            {
                cleanupErrors.Add($"cleanup: delete {name}: {e.Message}");
            }
        }
    }
    if (bench is not null)
        foreach (var raw in bench.LiveRaw.Keys.ToList())
        {
            try { raw.Dispose(); } catch (Exception e) { cleanupErrors.Add($"cleanup: raw sandbox: {e.Message}"); }
        }
    try { RawSandbox.CleanupCgroups(); } catch (Exception e) { cleanupErrors.Add($"cleanup: raw runc cgroups: {e.Message}"); }
    api?.Dispose();
    server?.Dispose();

    // Sandboxes of our own data dir that the API could not delete: kill their cgroups' processes.
    if (options.Endpoint is null)
    {
        var boxes = Path.Combine(dataDir, "boxes");
        var ids = Directory.Exists(boxes) ? Directory.GetDirectories(boxes).Select(Path.GetFileName).OfType<string>().ToList() : [];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataDir)))[..12];
        foreach (var id in ids)
        {
            var dirs = HostMemory.SandboxCgroupDirs(id).ToList();
            if (dirs.Count > 0) cleanupErrors.Add($"cleanup: sandbox {id} left behind by the server; killed its cgroups' processes");
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var pids = HostMemory.CgroupPids(id);
                if (pids.Count == 0) break;
                foreach (var pid in pids) Native.Kill(pid, Native.SigKill);
                Thread.Sleep(100);
            }
            foreach (var dir in dirs) TryRmdir(dir);
        }
        if (Directory.Exists("/sys/fs/cgroup"))
            foreach (var controller in Directory.GetDirectories("/sys/fs/cgroup"))
                TryRmdir(Path.Combine(controller, $"sandbox-{hash}"));
    }

    foreach (var mount in Mounts.Under(root))
    {
        try { Native.Unmount(mount); } catch (Exception e) { cleanupErrors.Add($"cleanup: umount {mount}: {e.Message}"); }
    }
    var left = Mounts.Under(root);
    if (left.Count > 0)
        cleanupErrors.Add($"cleanup: mounts remain under {root}, not deleting it: {string.Join(", ", left)}");
    else
    {
        try { Directory.Delete(root, recursive: true); }
        catch (Exception e) { cleanupErrors.Add($"cleanup: delete {root}: {e.Message}"); }
    }
}

static void TryRmdir(string dir)
{
    try
    {
        if (Directory.Exists(dir)) Directory.Delete(dir); // a cgroup dir is removed with rmdir, not recursively
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
    }
}
