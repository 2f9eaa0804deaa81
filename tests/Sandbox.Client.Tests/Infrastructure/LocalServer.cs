using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Sandbox.Client.Tests.Infrastructure;

/// <summary>
/// The real local server (Sandbox.Server.dll) as a child process on a fresh data directory and a free port:
/// <c>dotnet Sandbox.Server.dll --listen 127.0.0.1:0 --data-dir DIR --ttl-granularity 1</c>. Disposal deletes the
/// sandboxes it made, SIGKILLs it and removes the data directory.
/// </summary>
public sealed partial class LocalServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _log = new();
    private Process? _process;

    private LocalServer(string dataDir) => DataDir = dataDir;

    /// <summary>The data directory.</summary>
    public string DataDir { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The port.</summary>
    public int Port { get; private set; }

    /// <summary>The key from <c>{DataDir}/api-key</c>.</summary>
    public string ApiKey { get; private set; } = "";

    /// <summary>What the server printed (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>Starts a server and waits for its <c>listening on</c> line.</summary>
    public static async Task<LocalServer> StartAsync()
    {
        var root = Environment.GetEnvironmentVariable("SANDBOX_TEST_DATA_ROOT") ?? "/var/tmp/sandbox-client-tests";
        var dataDir = Path.Combine(root, "d-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        var server = new LocalServer(dataDir);
        try
        {
            await server.LaunchAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>A client for this server with explicit settings (no environment involved).</summary>
    public SandboxClient CreateClient(SandboxClientOptions? options = null, string? endpoint = null) =>
        new(SandboxConnectionSettings.Resolve(endpoint ?? Endpoint, ApiKey, SandboxEnvironment.FromVariables(new Dictionary<string, string>())), options);

    private async Task LaunchAsync()
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { ServerDll(), "--listen", "127.0.0.1:0", "--data-dir", DataDir, "--ttl-granularity", "1" }) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Append("out", e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m) listening.TrySetResult(m.Groups[1].Value);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Append("err", e.Data);
        };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("the server exited early"));
        if (!process.Start()) throw new InvalidOperationException("could not start the server");
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string url;
        try
        {
            url = await listening.Task.WaitAsync(StartTimeout);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"the server did not print 'listening on http://HOST:PORT' ({e.Message}). Log:\n{Log}", e);
        }
        Endpoint = url.TrimEnd('/');
        Port = new Uri(Endpoint).Port;
        ApiKey = (await File.ReadAllTextAsync(Path.Combine(DataDir, "api-key"))).Trim();
        if (ApiKey.Length == 0) throw new InvalidOperationException("the api-key file is empty");
    }

    private void Append(string stream, string line)
    {
        lock (_log)
        {
            if (_log.Length > 200_000) _log.Remove(0, 100_000);
            _log.Append('[').Append(stream).Append("] ").AppendLine(line);
        }
    }

    /// <summary>Deletes every sandbox and every non-seeded template, SIGKILLs the server, removes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            try
            {
                using var client = CreateClient(new SandboxClientOptions { Retry = SandboxRetryPolicy.None, DefaultTimeout = TimeSpan.FromSeconds(30) });
                var all = new List<Sandbox>();
                await foreach (var s in client.ListAllSandboxesAsync()) all.Add(s);
                foreach (var s in all)
                {
                    try
                    {
                        await client.DeleteSandboxAsync(s.Name);
                    }
                    catch (SandboxApiException)
                    {
                    }
                }
            }
            catch (Exception)
            {
                // Best effort: the kill and the directory removal below still run.
            }
            // SIGTERM first, so that the server ends its warm launchers and unmounts their filesystems; SIGKILL after 15 s.
            using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", p.Id.ToString()]) { UseShellExecute = false }))
                term?.WaitForExit(5000);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: false);
                await p.WaitForExitAsync(CancellationToken.None);
            }
        }
        _process?.Dispose();
        try
        {
            // Kept for diagnosing failures: the server's own log of this run.
            await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "sandbox-client-tests-server.log"), Log);
        }
        catch (IOException)
        {
        }
        UnmountUnder(DataDir);
        try
        {
            if (Directory.Exists(DataDir)) Directory.Delete(DataDir, recursive: true);
        }
        catch (Exception)
        {
            // A mount left behind; not this suite's subject.
        }
    }

    [GeneratedRegex(@"listening on (https?://[^\s;]+)")]
    private static partial Regex ListeningLine();

    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }

    private static string ServerDll()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SANDBOX_SERVER_DLL");
        if (!string.IsNullOrEmpty(fromEnv)) return Path.GetFullPath(fromEnv);
        var baked = typeof(LocalServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "SandboxServerDll")?.Value;
        if (string.IsNullOrEmpty(baked) || !File.Exists(baked))
            throw new InvalidOperationException($"Sandbox.Server.dll not found ('{baked}'): build the tests, or set SANDBOX_SERVER_DLL");
        return baked;
    }

    /// <summary>Detaches every mount left below <paramref name="dir"/> (deepest first), e.g. by a server that was killed.</summary>
    private static void UnmountUnder(string dir)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)) + "/";
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f.Length > 4)
            .Select(f => f[4]).Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Distinct().OrderByDescending(m => m.Length).ToList();
        foreach (var mount in mounts)
        {
            try
            {
                using var umount = Process.Start(new ProcessStartInfo("umount", ["-l", mount]) { UseShellExecute = false, RedirectStandardError = true });
                umount?.WaitForExit(10000);
            }
            catch (Exception)
            {
            }
        }
    }
}

/// <summary>One server for every test of the <see cref="ServerCollection"/>.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    /// <summary>The server.</summary>
    public LocalServer Server { get; private set; } = null!;

    /// <summary>A client with default options.</summary>
    public SandboxClient Client { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Server = await LocalServer.StartAsync();
        Client = Server.CreateClient();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }

    private int _counter;

    /// <summary>A fresh sandbox name for a test.</summary>
    public string NewName(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
}

/// <summary>The tests that share one real server.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "local server";
}
