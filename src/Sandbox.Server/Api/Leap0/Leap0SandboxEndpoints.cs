using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's sandboxes: <c>/v1/sandbox[/{id}]</c>, <c>/v1/sandboxes</c>, pause, stop and start, named by id only, over the
/// same <see cref="SandboxManager"/>. leap0 refuses a lifecycle step from the wrong state with 409 (pause and stop need
/// a running sandbox, start a stopped one) rather than doing nothing, and so does this server.
/// </summary>
public static class Leap0SandboxEndpoints
{
    private static readonly string[] ListStates = ["starting", "stopping", "snapshotting", "running", "paused", "unpausing", "stopped", "deleting"];

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/sandbox", Create);
        v1.MapGet("/sandboxes", List);
        v1.MapGet("/sandbox", List); // the path some callers guess from POST /sandbox/; the spec's is /sandboxes
        v1.MapGet("/sandbox/{id}", (string id, HttpRequest req, SandboxManager m) => Results.Json(Leap0Json.Sandbox(m.GetById(id), req)));
        v1.MapDelete("/sandbox/{id}", async (string id, SandboxManager m) =>
        {
            await m.DeleteAsync(m.GetById(id).Name);
            return Results.NoContent();
        });
        // The freezer keeps memory; the next data-plane request (process, files, git, PTY) resumes it (RequireReadyAsync).
        v1.MapPost("/sandbox/{id}/pause", (string id, HttpRequest req, SandboxManager m) =>
            Step(id, req, m, [SandboxStatus.Ready], "running", "paused", m.PauseAsync, 201));
        // Stopped keeps the sandbox's files (its own layer), not its processes; a paused one may be stopped too.
        v1.MapPost("/sandbox/{id}/stop", (string id, HttpRequest req, SandboxManager m) =>
            Step(id, req, m, [SandboxStatus.Ready, SandboxStatus.Paused], "running or paused", "stopped", n => m.StopAsync(n), 200));
        // A failed sandbox is `stopped` on leap0's wire (Leap0Json.State), so it starts like one.
        v1.MapPost("/sandbox/{id}/start", (string id, HttpRequest req, SandboxManager m) =>
            Step(id, req, m, [SandboxStatus.Stopped, SandboxStatus.Failed], "stopped", "started", m.StartAsync, 200));
    }

    private static async Task<IResult> Step(string id, HttpRequest req, SandboxManager manager, string[] from, string fromText, string verb, Func<string, Task<SandboxRecord>> step, int status)
    {
        var record = manager.GetById(id);
        if (!from.Contains(record.Status))
            throw new ConflictException("InvalidState", $"sandbox '{id}' is {Leap0Json.State(record.Status)}; only a {fromText} sandbox can be {verb}");
        await step(record.Name);
        return Results.Json(Leap0Json.Sandbox(manager.GetById(id), req), statusCode: status);
    }

    /// <summary><c>GET /v1/sandboxes?state=&amp;sort=created_at|state&amp;order-by=&amp;page=&amp;page-size=</c> (pool replicas are not listed).</summary>
    private static IResult List(HttpRequest req, SandboxManager manager)
    {
        var paging = Leap0Paging.Begin(req);
        var state = paging.Choice("state", ListStates);
        var sort = paging.Choice("sort", ["created_at", "state"]) ?? "created_at";
        paging.ThrowIfInvalid();
        var rows = manager.List(new SandboxQuery(int.MaxValue, 0, null, null, null, "created_at", false))
            .Where(r => state is null || Leap0Json.State(r.Status) == state);
        return Results.Json(sort == "state"
            ? paging.Answer(rows, r => Leap0Json.State(r.Status), r => r.Id, Leap0Json.ListItem)
            : paging.Answer(rows, r => r.CreatedAt, r => r.Id, Leap0Json.ListItem));
    }

    private static async Task<IResult> Create(HttpRequest req, SandboxManager manager)
    {
        var request = Leap0SandboxInput.Create(await JsonInput.ReadAsync(req));
        SandboxRecord record;
        try
        {
            (record, _) = await manager.CreateAsync(request);
        }
        catch (RejectedException e) when (e.Code == "TemplateNotFound")
        {
            throw ValidationException.For(["body", "template_name"], e.Message);
        }
        // leap0 answers at once with the sandbox `starting`; requests to it wait for the boot (RequireReadyAsync).
        return Results.Json(Leap0Json.Sandbox(manager.GetById(record.Id), req), statusCode: 201);
    }
}
