using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Sandbox.Bench;

/// <summary>The server under test: a child process started here, or an endpoint given on the command line.</summary>
internal sealed partial class ServerHost : IDisposable
{
    private readonly Process? _process;
    private readonly ConcurrentQueue<string> _log = new();

    public string Endpoint { get; }
    public string ApiKey { get; }
    public string? DataDir { get; }
    /// <summary>The server's pid when it is our child (RSS is read from it).</summary>
    public int? Pid => _process?.Id;

    private ServerHost(string endpoint, string apiKey, Process? process, string? dataDir)
    {
        Endpoint = endpoint.TrimEnd('/');
        ApiKey = apiKey;
        _process = process;
        DataDir = dataDir;
    }

    public static ServerHost Attach(string endpoint, string apiKeyFile, int? pid) =>
        new(endpoint, File.ReadAllText(apiKeyFile).Trim(), null, null) { _attachedPid = pid };

    private int? _attachedPid;
    public int? RssPid => _process?.Id ?? _attachedPid;

    [GeneratedRegex(@"listening on (https?://\S+)")]
    private static partial Regex ListeningLine();

    /// <summary>The server's build output, recorded at build time by the csproj.</summary>
    public static string DefaultServerDll()
    {
        var recorded = typeof(ServerHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SandboxServerDll")?.Value;
        if (!string.IsNullOrEmpty(recorded) && File.Exists(recorded)) return recorded;
        throw new FileNotFoundException($"Sandbox.Server.dll not found (recorded at build time: '{recorded}'); pass --server-dll");
    }

    /// <summary>Starts <c>dotnet Sandbox.Server.dll --listen 127.0.0.1:0 --data-dir DIR</c> and waits for its listening line.</summary>
    public static ServerHost Start(string serverDll, string dataDir, TimeSpan startTimeout)
    {
        Directory.CreateDirectory(dataDir);
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        psi.ArgumentList.Add(serverDll);
        psi.ArgumentList.Add("--listen");
        psi.ArgumentList.Add("127.0.0.1:0");
        psi.ArgumentList.Add("--data-dir");
        psi.ArgumentList.Add(dataDir);
        var log = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Remember(log, "out: " + e.Data);
            var m = ListeningLine().Match(e.Data);
            if (m.Success) listening.TrySetResult(m.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Remember(log, "err: " + e.Data);
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("the server exited before listening"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (!listening.Task.Wait(startTimeout))
                throw new TimeoutException($"the server printed no 'listening on' line within {startTimeout.TotalSeconds} s");
            var endpoint = listening.Task.Result;
            var keyFile = Path.Combine(dataDir, "api-key");
            var key = "";
            for (var i = 0; i < 100 && key.Length == 0; i++)
            {
                if (File.Exists(keyFile)) key = File.ReadAllText(keyFile).Trim();
                if (key.Length == 0) Thread.Sleep(50);
            }
            if (key.Length == 0) throw new InvalidOperationException($"no API key in {keyFile}");
            var host = new ServerHost(endpoint, key, process, dataDir);
            foreach (var line in log) host._log.Enqueue(line);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Remember(host._log, "out: " + e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Remember(host._log, "err: " + e.Data); };
            return host;
        }
        catch (Exception e)
        {
            StopProcess(process);
            var tail = string.Join("\n  ", log.TakeLast(30));
            throw new InvalidOperationException($"server did not start: {(e is AggregateException a ? a.InnerException!.Message : e.Message)}\n  {tail}", e);
        }
    }

    private static void Remember(ConcurrentQueue<string> log, string line)
    {
        log.Enqueue(line);
        while (log.Count > 200 && log.TryDequeue(out _)) { }
    }

    public IEnumerable<string> LogTail(int n) => _log.TakeLast(n);

    public bool HasExited => _process?.HasExited ?? false;

    private static void StopProcess(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                // SIGTERM first (graceful shutdown); SIGKILL if it does not go.
                Native.Kill(process.Id, 15);
                if (!process.WaitForExit(10_000))
                {
                    process.Kill();
                    process.WaitForExit(10_000);
                }
            }
        }
        catch (Exception)
        {
        }
        process.Dispose();
    }

    public void Dispose()
    {
        if (_process is not null) StopProcess(_process);
    }
}
