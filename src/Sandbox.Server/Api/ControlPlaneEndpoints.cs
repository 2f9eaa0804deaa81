using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>The control plane: sandboxes and templates, under /v2/sandboxes and /api/v2/sandboxes.</summary>
public static class ControlPlaneEndpoints
{
    public static readonly string[] Prefixes = ["/v2/sandboxes", "/api/v2/sandboxes"];
    private static readonly string[] SortKeys = ["name", "status", "template_name", "created_at"];

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
            var (limit, offset, nameContains) = ListPaging.Read(req);
            var items = t.List(limit, offset, nameContains);
            return Results.Json(new { templates = items.Select(Json.Template), offset = offset + items.Count });
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
        var (limit, offset, nameContains) = ListPaging.Read(req);
        var q = req.Query;
        var issues = new List<ValidationIssue>();
        string? status = q["status"];
        if (status is not null && !SandboxStatus.All.Contains(status))
            issues.Add(new ValidationIssue(["query", "status"], $"must be one of: {string.Join(", ", SandboxStatus.All)}", "enum"));
        var sortBy = (string?)q["sort_by"] ?? "created_at";
        if (!SortKeys.Contains(sortBy))
            issues.Add(new ValidationIssue(["query", "sort_by"], $"must be one of: {string.Join(", ", SortKeys)}", "enum"));
        var direction = (string?)q["sort_direction"] ?? "desc";
        if (direction is not ("asc" or "desc"))
            issues.Add(new ValidationIssue(["query", "sort_direction"], "must be one of: asc, desc", "enum"));
        if (issues.Count > 0) throw new ValidationException(issues);
        var items = manager.List(new SandboxQuery(limit, offset, nameContains, status, q["template_name"], sortBy, direction == "desc"));
        return Results.Json(new { sandboxes = items.Select(r => Json.Sandbox(r, req)), offset = offset + items.Count });
    }
}
