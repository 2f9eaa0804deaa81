using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>Extensions: <c>POST /boxes/{name}/pause</c>, <c>/resume</c> and <c>GET /boxes/{name}/metrics</c>.</summary>
public static class PauseEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/boxes/{name}/pause", async (string name, HttpRequest req, SandboxManager m) =>
        {
            await JsonInput.ReadAsync(req, allowEmpty: true);
            return Results.Json(Json.Sandbox(await m.PauseAsync(name), req));
        });
        api.MapPost("/boxes/{name}/resume", async (string name, HttpRequest req, SandboxManager m) =>
        {
            await JsonInput.ReadAsync(req, allowEmpty: true);
            return Results.Json(Json.Sandbox(await m.ResumeAsync(name), req));
        });
        api.MapGet("/boxes/{name}/metrics", (string name, SandboxManager m) =>
        {
            var u = m.Metrics(name);
            return Results.Json(new { cpu_seconds = u.CpuSeconds, memory_bytes = u.MemoryBytes, pids = u.Pids, disk_bytes = u.DiskBytes });
        });
    }
}
