using Sandbox.Server.Api;
using Sandbox.Server.Runtime;
using Sandbox.Server.Services;
using Sandbox.Server.Services.Exec;
using Sandbox.Server.State;

namespace Sandbox.Server;

/// <summary>The server's host: what it prepares on the machine, the services it registers, what it does before it listens.</summary>
public static class SandboxServerSetup
{
    // The server runs system tools (runc, mount, mkfs.ext4, nft, find...): started with an empty environment (env -i), it
    // still finds them where Debian puts them.
    private const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>PATH, umask and the data dir's modes; returns the API key (made on first start).</summary>
    public static string PrepareHost(ServerOptions options)
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", string.IsNullOrEmpty(path) ? SystemPath : $"{path}:{SystemPath}");
        // Whatever the server creates (state, keys, sandbox files) is readable by root alone unless it says otherwise.
        Native.SetUmask(0b000_111_111);
        SandboxRuntime.MakeTraversable(options.DataDir);
        var apiKey = ApiKeyFile.LoadOrCreate(options.DataDir);
        RestrictStateFiles(options.DataDir);
        return apiKey;
    }

    // Data dirs written by earlier versions kept state and key world-readable (0644).
    private static void RestrictStateFiles(string dataDir)
    {
        foreach (var name in new[] { "state.db", "state.db-wal", "state.db-shm", "state.db-journal", "api-key" })
        {
            var path = Path.Combine(dataDir, name);
            if (File.Exists(path)) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Logging, Kestrel on the listen address, and every service of the server.</summary>
    public static WebApplicationBuilder AddSandboxServer(this WebApplicationBuilder builder, ServerOptions options)
    {
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Sandbox.Server", Environment.GetEnvironmentVariable("SANDBOX_SERVER_DEBUG") is null ? LogLevel.Information : LogLevel.Debug);
        // The data plane's certificate: made before Kestrel binds, so that a bad CA file fails the start, not a handshake.
        var dataPlane = new Api.Leap0.DataPlane(options);
        var dataPlaneCert = dataPlane.Enabled ? DataPlaneTls.CreateLeaf(DataPlaneTls.LoadOrCreateCa(options.DataDir), options.DataPlaneHost) : null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.ListenAddress, options.ListenPort);
            // leap0's data plane (Api/Leap0/Leap0DataPlane.cs): HTTPS only, which is how its requests are told apart.
            if (dataPlane.Listen is { } endpoint)
                k.Listen(endpoint, lo =>
                {
                    lo.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1;
                    lo.UseHttps(dataPlaneCert!);
                });
            k.Limits.MaxRequestBodySize = null; // uploads stream without limit; JSON bodies are capped where they are read
            k.AddServerHeader = false;
        });
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StateDb>(); // opening it migrates the schema (State/Migrations.cs)
        services.AddSingleton<SandboxRepository>();
        services.AddSingleton<TemplateRepository>();
        services.AddSingleton<PoolRepository>();
        services.AddSingleton<VolumeRepository>();
        services.AddSingleton<SnapshotRepository>();
        services.AddSingleton<SnapshotFreezeRepository>();
        services.AddSingleton<NetworkPolicyRepository>();
        services.AddSingleton<ServiceTokenRepository>();
        services.AddSingleton<RegistryRepository>();
        services.AddSingleton<DownloadTokenRepository>();
        services.AddSingleton<RootImages>();
        services.AddSingleton<SandboxRuntime>();
        services.AddSingleton<TemplateCatalog>();
        services.AddSingleton<SandboxManager>();
        services.AddSingleton<SandboxNetwork>(); // network policies (Services/NetworkPolicyService.cs)
        services.AddSingleton<NetworkPolicyService>();
        services.AddHostedService(sp => sp.GetRequiredService<NetworkPolicyService>());
        services.AddSingleton<SnapshotRuntime>();
        services.AddSingleton<SnapshotService>();
        services.AddHostedService<SnapshotCollector>();
        services.AddSingleton<VolumeRuntime>();
        services.AddSingleton<VolumeService>();
        services.AddHostedService(sp => sp.GetRequiredService<VolumeService>());
        services.AddSingleton<PoolClaims>();
        services.AddSingleton<PoolService>();
        services.AddHostedService(sp => sp.GetRequiredService<PoolService>());
        services.AddSingleton<CommandLauncher>();
        services.AddSingleton<OutputBudget>(); // exec output held in memory (Services/Exec/OutputBudget.cs)
        services.AddSingleton<ExecService>();
        services.AddSingleton<FileSearch>();
        services.AddSingleton<SandboxFiles>();
        services.AddSingleton<PtySessions>();
        services.AddSingleton<ExecWebSocket>();
        services.AddSingleton<ServiceTokens>(); // service URLs (Api/ServiceUrlEndpoints.cs)
        services.AddSingleton<DownloadLinks>(); // download links (Api/DownloadLinkEndpoints.cs)
        services.AddSingleton<RegistryService>(); // registries (Api/RegistryEndpoints.cs)
        services.AddSingleton<ServiceProxy>();
        services.AddSingleton(dataPlane);
        services.AddHostedService<ExpiryService>();
        services.AddSingleton<ServerActivity>(); // requests in flight, for --idle-shutdown (Services/IdleShutdown.cs)
        services.AddHostedService<IdleShutdownService>();
        services.AddHostedService<SandboxWatcher>(); // a sandbox whose init ends becomes failed (SandboxManager.Liveness.cs)
        return builder;
    }

    /// <summary>Before the server listens: the built-in image, the seeded templates, and state reconciled with the host.</summary>
    public static async Task StartSandboxServerAsync(this WebApplication app)
    {
        app.Services.GetRequiredService<RootImages>().EnsureBuiltIn();
        app.Services.GetRequiredService<TemplateCatalog>().SeedDefaults();
        await app.Services.GetRequiredService<SandboxManager>().ReconcileAsync(CancellationToken.None);
        await app.Services.GetRequiredService<SnapshotService>().ReconcileAsync();
        app.Services.GetRequiredService<RegistryService>().Reconcile();
        app.Services.GetRequiredService<SandboxRuntime>().StartSlotPool();
    }

    /// <summary>After the server stopped listening: the pre-made launch slots are ended.</summary>
    public static Task StopSandboxServerAsync(this WebApplication app) =>
        app.Services.GetRequiredService<SandboxRuntime>().StopSlotPoolAsync();
}
