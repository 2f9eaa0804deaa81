using System.Reflection;
using Sandbox.Server.Launcher;

namespace Sandbox.Bench;

/// <summary>The server under test: a child process started here (through the shared launcher), or an endpoint given on the command line.</summary>
internal sealed class ServerHost : IDisposable
{
    private readonly ServerLauncher? _server;

    public string Endpoint { get; }
    public string ApiKey { get; }
    public string? DataDir { get; }
    /// <summary>The server's pid when it is our child (RSS is read from it).</summary>
    public int? Pid => _server?.ProcessId;

    private ServerHost(string endpoint, string apiKey, ServerLauncher? server, string? dataDir)
    {
        Endpoint = endpoint.TrimEnd('/');
        ApiKey = apiKey;
        _server = server;
        DataDir = dataDir;
    }

    public static ServerHost Attach(string endpoint, string apiKeyFile, int? pid) =>
        new(endpoint, File.ReadAllText(apiKeyFile).Trim(), null, null) { _attachedPid = pid };

    private int? _attachedPid;
    public int? RssPid => _server?.ProcessId ?? _attachedPid;

    /// <summary>The server's build output, recorded at build time by the csproj.</summary>
    public static string DefaultServerDll()
    {
        var recorded = typeof(ServerHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SandboxServerDll")?.Value;
        if (!string.IsNullOrEmpty(recorded) && File.Exists(recorded)) return recorded;
        throw new FileNotFoundException($"Sandbox.Server.dll not found (recorded at build time: '{recorded}'); pass --server-dll");
    }

    /// <summary>Starts <c>dotnet Sandbox.Server.dll --listen 127.0.0.1:0 --data-dir DIR</c> and waits for its ready line.</summary>
    public static ServerHost Start(string serverDll, string dataDir, TimeSpan startTimeout)
    {
        Directory.CreateDirectory(dataDir);
        var server = ServerLauncher.Start(new ServerStartInfo
        {
            FileName = "dotnet",
            Arguments = [serverDll, "--listen", "127.0.0.1:0", "--data-dir", dataDir],
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        });
        try
        {
            var ready = server.WaitForReadyAsync(startTimeout).GetAwaiter().GetResult();
            var keyFile = Path.Combine(dataDir, "api-key");
            var key = File.Exists(keyFile) ? File.ReadAllText(keyFile).Trim() : "";
            if (key.Length == 0) throw new InvalidOperationException($"no API key in {keyFile}");
            return new ServerHost(ready.Endpoint, key, server, dataDir);
        }
        catch (Exception e)
        {
            server.StopAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            var tail = server.LogTail(30);
            server.Dispose();
            throw new InvalidOperationException($"server did not start: {e.Message}\n  {tail}", e);
        }
    }

    public IEnumerable<string> LogTail(int n) => _server is null ? [] : _server.LogTail(n).Split('\n');

    public bool HasExited => _server?.HasExited ?? false;

    public void Dispose()
    {
        if (_server is null) return;
        // SIGTERM first (graceful shutdown); SIGKILL if it does not go.
        _server.StopAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        _server.Dispose();
    }
}
