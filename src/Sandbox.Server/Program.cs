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
var address = app.Urls.FirstOrDefault() ?? $"http://{options.ListenAddress}:{options.ListenPort}";
Console.WriteLine($"listening on {address}");
Console.WriteLine($"data dir {options.DataDir}; API key in {ApiKeyFile.PathIn(options.DataDir)}");
// The machine-readable ready signal launchers wait for (src/Sandbox.Server.Launcher/ServerReady.cs); the lines above are for people.
Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["event"] = "ready", ["endpoint"] = address.TrimEnd('/'), ["pid"] = Environment.ProcessId, ["data_dir"] = options.DataDir,
}));
await app.WaitForShutdownAsync();
await app.StopSandboxServerAsync();
return 0;
