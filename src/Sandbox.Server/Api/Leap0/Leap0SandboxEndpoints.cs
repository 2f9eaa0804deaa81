using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api.Leap0;

/// <summary>leap0's sandboxes: <c>/v1/sandbox[/{id}]</c>, named by id only, over the same <see cref="SandboxManager"/>.</summary>
public static class Leap0SandboxEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/sandbox", Create);
        v1.MapGet("/sandbox/{id}", (string id, HttpRequest req, SandboxManager m) => Results.Json(Leap0Json.Sandbox(m.GetById(id), req)));
        v1.MapDelete("/sandbox/{id}", async (string id, SandboxManager m) =>
        {
            await m.DeleteAsync(m.GetById(id).Name);
            return Results.NoContent();
        });
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
