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

    private static readonly string[] StatusFilters = [SnapshotStatus.Provisioning, "building", SnapshotStatus.Ready, SnapshotStatus.Failed, "deleting"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/boxes/{name}/snapshot", async (string name, HttpRequest req, SnapshotService snapshots, SandboxManager sandboxes) =>
            Results.Json(Snapshot(snapshots.Capture(sandboxes, name, SnapshotInput.Capture(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapPost("/snapshots", async (HttpRequest req, SnapshotService snapshots) =>
            Results.Json(Snapshot(snapshots.Import(SnapshotInput.Import(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapGet("/snapshots", (HttpRequest req, SnapshotService snapshots) =>
        {
            // limit 1-500, default 50 (the hosted API's); oldest first unless sort_order says otherwise.
            var page = ListPaging.Begin(req, defaultLimit: 50, maxLimit: 500);
            var status = page.Choice("status", StatusFilters) switch
            {
                "building" => SnapshotStatus.Provisioning, // the current generation's name for a snapshot being made
                var s => s, // "deleting" matches none: a deleted snapshot is gone from the API at once
            };
            var sortBy = page.Choice("sort_by", ["name", "status", "created_at"], "created_at")!;
            var descending = page.Descending(fallback: false);
            page.RefuseUnsupportedFilters();
            page.ThrowIfInvalid();
            return Results.Json(page.Answer("snapshots", snapshots.List(new SnapshotQuery(page.Fetch, page.Offset, page.NameContains, status, sortBy, descending)), Snapshot));
        });
        api.MapGet("/snapshots/{id}", (string id, SnapshotService snapshots) => Results.Json(Snapshot(snapshots.Get(id))));
        api.MapDelete("/snapshots/{id}", async (string id, SnapshotService snapshots) =>
        {
            await snapshots.DeleteAsync(id);
            return Results.NoContent();
        });
    }
}
