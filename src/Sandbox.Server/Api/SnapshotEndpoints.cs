using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>Snapshot routes: <c>POST /boxes/{name}/snapshot</c>, <c>/snapshots</c> and <c>/snapshots/{id}</c>.</summary>
public static class SnapshotEndpoints
{
    public static object Snapshot(SnapshotRecord s) => new
    {
        id = s.Id,
        name = s.Name,
        status = s.Status,
        status_message = s.StatusMessage,
        fs_capacity_bytes = s.FsCapacityBytes,
        fs_used_bytes = s.FsUsedBytes,
        source_sandbox_id = s.SourceSandboxId,
        docker_image = s.DockerImage,
        created_at = s.CreatedAt,
        updated_at = s.UpdatedAt,
    };

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/boxes/{name}/snapshot", async (string name, HttpRequest req, SnapshotService snapshots, SandboxManager sandboxes) =>
            Results.Json(Snapshot(snapshots.Capture(sandboxes, name, SnapshotInput.Capture(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapPost("/snapshots", async (HttpRequest req, SnapshotService snapshots) =>
            Results.Json(Snapshot(snapshots.Import(SnapshotInput.Import(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapGet("/snapshots", (HttpRequest req, SnapshotService snapshots) =>
        {
            var (limit, offset, nameContains) = ListPaging.Read(req);
            var items = snapshots.List(limit, offset, nameContains);
            return Results.Json(new { snapshots = items.Select(Snapshot), offset = offset + items.Count });
        });
        api.MapGet("/snapshots/{id}", (string id, SnapshotService snapshots) => Results.Json(Snapshot(snapshots.Get(id))));
        api.MapDelete("/snapshots/{id}", async (string id, SnapshotService snapshots) =>
        {
            await snapshots.DeleteAsync(id);
            return Results.NoContent();
        });
    }
}
