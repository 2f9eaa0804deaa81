using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>The control plane: sandboxes and templates, under /v2/sandboxes and /api/v2/sandboxes.</summary>
public static class ControlPlaneEndpoints
{
    public static readonly string[] Prefixes = ["/v2/sandboxes", "/api/v2/sandboxes"];
    private static readonly string[] SortKeys = ["name", "status", "template_name", "created_at", "idle_ttl_seconds", "delete_after_stop_seconds", "stopped_at"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/boxes", CreateSandbox);
        api.MapGet("/boxes", ListSandboxes);
        api.MapGet("/boxes/{name}", (string name, HttpRequest req, SandboxManager m) => Results.Json(Json.Sandbox(m.Get(name), req)));
        api.MapPatch("/boxes/{name}", async (string name, HttpRequest req, SandboxManager m, ServerOptions options) =>
            Results.Json(Json.Sandbox(await m.UpdateAsync(name, SandboxInput.Update(await JsonInput.ReadAsync(req), options)), req)));
        api.MapDelete("/boxes/{name}", async (string name, SandboxManager m) =>
        {
            await m.DeleteAsync(name);
            return Results.NoContent();
        });
        api.MapGet("/boxes/{name}/status", (string name, SandboxManager m) =>
        {
            var r = m.Get(name);
            return Results.Json(new { status = r.Status, status_message = r.StatusMessage });
        });
        api.MapPost("/boxes/{name}/stop", async (string name, HttpRequest req, SandboxManager m) =>
        {
            await JsonInput.ReadAsync(req, allowEmpty: true);
            return Results.Json(Json.Sandbox(await m.StopAsync(name), req));
        });
        api.MapPost("/boxes/{name}/start", async (string name, HttpRequest req, SandboxManager m) =>
        {
            await JsonInput.ReadAsync(req, allowEmpty: true);
            return Results.Json(Json.Sandbox(await m.StartAsync(name), req));
        });

        api.MapPost("/templates", async (HttpRequest req, TemplateCatalog t) =>
            Results.Json(Json.Template(t.Create(TemplateInput.Create(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapGet("/templates", (HttpRequest req, TemplateCatalog t) =>
        {
            var page = ListPaging.Read(req);
            return Results.Json(page.Answer("templates", t.List(page.Fetch, page.Offset, page.NameContains), Json.Template));
        });
        api.MapGet("/templates/{name}", (string name, TemplateCatalog t) => Results.Json(Json.Template(t.Get(name))));
        api.MapPatch("/templates/{name}", async (string name, HttpRequest req, TemplateCatalog t) =>
        {
            var body = await JsonInput.ReadAsync(req);
            t.Get(name); // 404 before the body's 422
            return Results.Json(Json.Template(t.Rename(name, TemplateInput.Rename(body))));
        });
        api.MapDelete("/templates/{name}", (string name, TemplateCatalog t) =>
        {
            t.Delete(name);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> CreateSandbox(HttpRequest req, SandboxManager manager, ServerOptions options)
    {
        var body = await JsonInput.ReadAsync(req);
        var waitForReady = body.Bool("wait_for_ready") ?? true;
        var timeout = body.Number("timeout", 1, 600) ?? 30;
        var (record, boot) = await manager.CreateAsync(SandboxInput.Create(body, options));
        if (waitForReady)
        {
            var finished = await Task.WhenAny(boot, Task.Delay(TimeSpan.FromSeconds(timeout), req.HttpContext.RequestAborted));
            if (finished != boot)
                throw new ApiException(408, "SandboxTimeout", $"sandbox '{record.Name}' was not ready within {timeout} s; it keeps starting, poll its status");
            await boot;
        }
        var current = manager.Get(record.Name);
        if (waitForReady && current.Status == SandboxStatus.Failed)
            throw new ApiException(500, "SandboxFailed", $"sandbox '{current.Name}' failed to start: {current.StatusMessage}");
        return Results.Json(Json.Sandbox(current, req), statusCode: 201);
    }

    private static IResult ListSandboxes(HttpRequest req, SandboxManager manager)
    {
        var page = ListPaging.Begin(req);
        var status = page.Choice("status", SandboxStatus.All);
        var sortBy = page.Choice("sort_by", SortKeys, "created_at")!;
        var descending = page.Descending(fallback: true);
        var labels = SnapshotInput.LabelFilters(req, page);
        page.RefuseUnsupportedFilters();
        page.ThrowIfInvalid();
        var rows = manager.List(new SandboxQuery(page.Fetch, page.Offset, page.NameContains, status, req.Query["template_name"], sortBy, descending, labels));
        return Results.Json(page.Answer("sandboxes", rows, r => Json.Sandbox(r, req)));
    }
}
