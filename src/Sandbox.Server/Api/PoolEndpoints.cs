using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>Warm pools: <c>/pools</c> under both control-plane prefixes.</summary>
public static class PoolEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/pools", CreatePool);
        api.MapGet("/pools", (HttpRequest req, PoolService pools) =>
        {
            var page = ListPaging.Read(req);
            return Results.Json(page.Answer("pools", pools.List(page.Fetch, page.Offset, page.NameContains), p => Pool(p, pools)));
        });
        api.MapGet("/pools/{name}", (string name, PoolService pools) => Results.Json(Pool(pools.Get(name), pools)));
        api.MapPatch("/pools/{name}", async (string name, HttpRequest req, PoolService pools) =>
            Results.Json(Pool(pools.Update(name, PoolInput.Update(await JsonInput.ReadAsync(req))), pools)));
        api.MapDelete("/pools/{name}", async (string name, PoolService pools) =>
        {
            await pools.DeleteAsync(name);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> CreatePool(HttpRequest req, PoolService pools)
    {
        var body = await JsonInput.ReadAsync(req);
        var waitForReady = body.Bool("wait_for_ready") ?? true;
        var timeout = body.Number("timeout", 10, 600) ?? 60;
        var pool = pools.Create(PoolInput.Create(body));
        if (waitForReady && !await pools.WaitForReadyAsync(pool.Id, TimeSpan.FromSeconds(timeout), req.HttpContext.RequestAborted))
        {
            var (ready, _) = pools.Counts(pool);
            throw new ApiException(504, "Timeout", $"pool '{pool.Name}' had {ready} of {pool.Replicas} replicas ready after {timeout} s; it keeps warming up");
        }
        return Results.Json(Pool(pools.GetById(pool.Id) ?? pool, pools), statusCode: 201);
    }

    /// <summary>The wire shape: the reference's fields plus the extension <c>ready_replicas</c> (replicas ready to hand out now).</summary>
    public static object Pool(PoolRecord p, PoolService pools)
    {
        var (ready, provisioning) = pools.Counts(p);
        return new
        {
            id = p.Id,
            name = p.Name,
            template_name = p.TemplateName,
            replicas = p.Replicas,
            ready_replicas = ready,
            provisioning_replicas = provisioning,
            created_at = p.CreatedAt,
            updated_at = p.UpdatedAt,
        };
    }
}
