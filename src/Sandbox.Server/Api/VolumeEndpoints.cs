using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>Volumes: <c>POST/GET /volumes</c>, <c>GET/PATCH/DELETE /volumes/{name}</c> under each control-plane prefix.</summary>
public static class VolumeEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/volumes", async (HttpRequest req, VolumeService v) =>
            Results.Json(Volume(await v.CreateAsync(VolumeInput.Create(await JsonInput.ReadAsync(req)), CancellationToken.None)), statusCode: 201));
        api.MapGet("/volumes", (HttpRequest req, VolumeService v) =>
        {
            var page = ListPaging.Read(req);
            return Results.Json(page.Answer("volumes", v.List(page.Fetch, page.Offset, page.NameContains), Volume));
        });
        api.MapGet("/volumes/{name}", (string name, VolumeService v) => Results.Json(Volume(v.Get(name))));
        api.MapPatch("/volumes/{name}", async (string name, HttpRequest req, VolumeService v) =>
            Results.Json(Volume(await v.UpdateAsync(name, VolumeInput.Update(await JsonInput.ReadAsync(req)), CancellationToken.None))));
        api.MapDelete("/volumes/{name}", async (string name, HttpRequest req, VolumeService v) =>
        {
            await v.DeleteAsync(name, CancellationToken.None);
            return Results.NoContent();
        });
    }

    /// <summary>The wire shape: <c>size</c> as the largest exact binary unit ("1Gi"), else bytes.</summary>
    public static object Volume(VolumeRecord v) => new
    {
        id = v.Id,
        name = v.Name,
        size = Quantity.FormatBytes(v.SizeBytes),
        storage_class = v.StorageClass,
        created_at = v.CreatedAt,
        updated_at = v.UpdatedAt,
    };
}
