using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sandbox.Server;
using Sandbox.Server.Api;
using Sandbox.Server.Runtime;
using Sandbox.Server.Services;
using Sandbox.Server.State;

ServerOptions options;
try
{
    options = ServerOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

// The server runs system tools (runc, mount, mkfs.ext4, nft, find...): started with an empty environment (env -i), it
// still finds them where Debian puts them.
const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
var path = Environment.GetEnvironmentVariable("PATH");
Environment.SetEnvironmentVariable("PATH", string.IsNullOrEmpty(path) ? SystemPath : $"{path}:{SystemPath}");

// Whatever the server creates (state, keys, sandbox files) is readable by root alone unless it says otherwise.
Native.SetUmask(0b000_111_111);
SandboxRuntime.MakeTraversable(options.DataDir);
var apiKey = ApiKeyFile.LoadOrCreate(options.DataDir);
RestrictStateFiles(options.DataDir);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Sandbox.Server", Environment.GetEnvironmentVariable("SANDBOX_SERVER_DEBUG") is null ? LogLevel.Information : LogLevel.Debug);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(options.ListenAddress, options.ListenPort);
    k.Limits.MaxRequestBodySize = null; // uploads stream without limit; JSON bodies are capped where they are read
    k.AddServerHeader = false;
});
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<StateStore>();
builder.Services.AddSingleton<RootImages>();
builder.Services.AddSingleton<SandboxRuntime>();
builder.Services.AddSingleton<TemplateCatalog>();
builder.Services.AddSingleton<SandboxManager>();
builder.Services.AddSingleton<SandboxNetwork>(); // network policies (Services/NetworkPolicyService.cs)
builder.Services.AddSingleton<NetworkPolicyService>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<NetworkPolicyService>());
builder.Services.AddSingleton<SnapshotRuntime>();
builder.Services.AddSingleton<SnapshotService>();
builder.Services.AddHostedService<SnapshotCollector>();
builder.Services.AddSingleton<VolumeRuntime>();
builder.Services.AddSingleton<VolumeService>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<VolumeService>());
builder.Services.AddSingleton<PoolService>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<PoolService>());
builder.Services.AddSingleton<CommandLauncher>();
builder.Services.AddSingleton<OutputBudget>(); // exec output held in memory (Api/OutputBudget.cs)
builder.Services.AddSingleton<ExecWebSocket>();
builder.Services.AddSingleton<ServiceProxy>(); // service URLs (Api/ServiceUrlEndpoints.cs)
builder.Services.AddHostedService<ExpiryService>();
builder.Services.AddHostedService<SandboxWatcher>(); // a sandbox whose init ends becomes failed (SandboxManager.Liveness.cs)

var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.UseMiddleware<ErrorMiddleware>();
app.Use(async (ctx, next) =>
{
    // Service URLs are authorised by their own token, never by the API key (ServiceUrlEndpoints).
    if (ctx.Request.Path == "/healthz" || ServiceUrlEndpoints.IsServiceRequest(ctx.Request.Path))
    {
        await next();
        return;
    }
    var given = (string?)ctx.Request.Headers["X-Api-Key"];
    if (string.IsNullOrEmpty(given))
        throw new ApiException(401, "Unauthorized", "missing X-Api-Key header");
    if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(apiKey)))
        throw new ApiException(403, "Forbidden", "invalid API key");
    await next();
});
app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
ControlPlaneEndpoints.Map(app);
PoolEndpoints.Map(app);
SnapshotEndpoints.Map(app);
DataplaneEndpoints.Map(app);
ServiceUrlEndpoints.Map(app);
app.MapFallback(ctx => throw ApiException.NotFound("NotFound", $"no route {ctx.Request.Method} {ctx.Request.Path}"));

app.Services.GetRequiredService<RootImages>().EnsureBuiltIn();
app.Services.GetRequiredService<TemplateCatalog>().SeedDefaults();
await app.Services.GetRequiredService<SandboxManager>().ReconcileAsync(CancellationToken.None);
await app.Services.GetRequiredService<SnapshotService>().ReconcileAsync();
var runtime = app.Services.GetRequiredService<SandboxRuntime>();
runtime.StartSlotPool();

await app.StartAsync();
var address = app.Urls.FirstOrDefault() ?? $"http://{options.ListenAddress}:{options.ListenPort}";
Console.WriteLine($"listening on {address}");
Console.WriteLine($"data dir {options.DataDir}; API key in {ApiKeyFile.PathIn(options.DataDir)}");
// The machine-readable ready signal launchers wait for (src/Sandbox.Server.Launcher/ServerReady.cs); the lines above are for people.
Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["event"] = "ready", ["endpoint"] = address.TrimEnd('/'), ["pid"] = Environment.ProcessId, ["data_dir"] = options.DataDir,
}));
await app.WaitForShutdownAsync();
await runtime.StopSlotPoolAsync();
return 0;

// Data dirs written by earlier versions kept state and key world-readable (0644).
static void RestrictStateFiles(string dataDir)
{
    foreach (var name in new[] { "state.db", "state.db-wal", "state.db-shm", "state.db-journal", "api-key" })
    {
        var path = Path.Combine(dataDir, name);
        if (File.Exists(path)) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
