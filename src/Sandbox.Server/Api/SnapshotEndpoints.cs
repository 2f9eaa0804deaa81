using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>
/// Snapshot routes: <c>POST /boxes/{name}/snapshot</c>, <c>/snapshots</c>, <c>/snapshots/{id or name[:tag]}</c> and
/// <c>/snapshots-by-name/{name}</c>.
/// </summary>
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
        registry_id = s.RegistryId,
        tags = s.Tags,
        labels = s.Labels,
        run_config = Json.RunConfig(s.RunConfig),
        created_at = s.CreatedAt,
        updated_at = s.UpdatedAt,
    };

    // "provisioning" is the older name of building; "deleting" matches none: a deleted snapshot is gone from the API at once.
    private static readonly string[] StatusFilters = [SnapshotStatus.Building, "provisioning", SnapshotStatus.Ready, SnapshotStatus.Failed, "deleting"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/boxes/{name}/snapshot", async (string name, HttpRequest req, SnapshotService snapshots, SandboxManager sandboxes) =>
            Results.Json(Snapshot(snapshots.Capture(sandboxes, name, SnapshotInput.Capture(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapPost("/snapshots", async (HttpRequest req, SnapshotService snapshots, RegistryService registries, ServerOptions options) =>
        {
            var request = SnapshotInput.Import(await JsonInput.ReadAsync(req), options);
            if (request.RegistryId is { } registryId && !registries.Exists(registryId))
                throw ValidationException.For(["body", "registry_id"], $"no registry has the id '{registryId}' (GET /registries lists them)");
            return Results.Json(Snapshot(snapshots.Import(request)), statusCode: 201);
        });
        api.MapGet("/snapshots", (HttpRequest req, SnapshotService snapshots) =>
        {
            // limit 1-500, default 50 (the hosted API's); oldest first unless sort_order says otherwise.
            var page = ListPaging.Begin(req, defaultLimit: 50, maxLimit: 500);
            var status = page.Choice("status", StatusFilters) switch
            {
                "provisioning" => SnapshotStatus.Building,
                var s => s,
            };
            var sortBy = page.Choice("sort_by", ["name", "status", "created_at"], "created_at")!;
            var descending = page.Descending(fallback: false);
            var labels = SnapshotInput.LabelFilters(req, page);
            page.RefuseUnsupportedFilters();
            page.ThrowIfInvalid();
            return Results.Json(page.Answer("snapshots", snapshots.List(new SnapshotQuery(page.Fetch, page.Offset, page.NameContains, status, sortBy, descending, labels)), Snapshot));
        });
        api.MapGet("/snapshots/{id}", (string id, SnapshotService snapshots) => Results.Json(Snapshot(snapshots.Get(id))));
        api.MapDelete("/snapshots/{id}", async (string id, SnapshotService snapshots) =>
        {
            await snapshots.DeleteAsync(id);
            return Results.NoContent();
        });
        api.MapGet("/snapshots-by-name/{name}", (string name, SnapshotService snapshots) =>
            Results.Json(new { name, tags = snapshots.TagsOf(name).Select(t => new { tag = t.Tag, snapshot_id = t.SnapshotId }) }));
    }
}
