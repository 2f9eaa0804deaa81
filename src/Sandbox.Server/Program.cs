using Sandbox.Server;
using Sandbox.Server.Api;

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

var apiKey = SandboxServerSetup.PrepareHost(options);
var builder = WebApplication.CreateSlimBuilder();
builder.AddSandboxServer(options);
var app = builder.Build();
app.MapSandboxApi(apiKey);
await app.StartSandboxServerAsync();

await app.StartAsync();
var address = app.Urls.FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal)) ?? $"http://{options.ListenAddress}:{options.ListenPort}";
var dataPlane = app.Services.GetRequiredService<Sandbox.Server.Api.Leap0.DataPlane>();
Console.WriteLine($"listening on {address}");
Console.WriteLine($"data dir {options.DataDir}; API key in {ApiKeyFile.PathIn(options.DataDir)}");
var ready = new Dictionary<string, object>
{
    ["event"] = "ready", ["endpoint"] = address.TrimEnd('/'), ["pid"] = Environment.ProcessId, ["data_dir"] = options.DataDir,
};
if (dataPlane.Enabled)
{
    Console.WriteLine($"data plane on https://*.{dataPlane.Domain} (LEAP0_SANDBOX_DOMAIN={dataPlane.Domain}); its CA is {dataPlane.CaFile}");
    ready["data_plane_domain"] = dataPlane.Domain!;
    ready["data_plane_ca_file"] = dataPlane.CaFile;
}
DataPlaneFile.Write(options.DataDir, dataPlane.Enabled ? dataPlane.Domain : null, dataPlane.CaFile);
// The machine-readable ready signal launchers wait for (src/Sandbox.Server.Launcher/ServerReady.cs); the lines above are for people.
Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(ready));
await app.WaitForShutdownAsync();
await app.StopSandboxServerAsync();
return 0;
