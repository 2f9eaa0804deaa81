using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's presigned URLs over the service-URL tokens (<see cref="ServiceTokens"/>): <c>POST
/// /v1/sandbox/{id}/presigned-url</c> <c>{port, expires_in?}</c> and <c>DELETE .../presigned-url/{pid}</c>. <c>url</c> is
/// leap0's <c>https://{token}.{domain}</c> on the data plane (<see cref="DataPlane"/>); with the data plane off, the
/// service URL with the token in its query (<c>/v2/sandboxes/service/{id}/{port}/?token=</c>). Either opens the port
/// without the API key until it expires or is deleted.
/// </summary>
public static class Leap0PresignedUrlEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/sandbox/{id}/presigned-url", Create);
        v1.MapDelete("/sandbox/{id}/presigned-url/{pid}", (string id, string pid, SandboxManager manager, ServiceTokens tokens) =>
        {
            tokens.Revoke(manager.GetById(id).Id, pid);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> Create(string id, HttpRequest req, SandboxManager manager, ServiceTokens tokens, DataPlane plane)
    {
        var sandbox = manager.GetById(id);
        var body = await JsonInput.ReadAsync(req);
        var port = body.Integer("port", 1, 65535, required: true);
        // leap0 default 3600 s; the local bound is the service URLs' (one day).
        var expiresIn = body.Integer("expires_in", 1, ServiceUrlEndpoints.MaxExpiresInSeconds) ?? ServiceUrlEndpoints.DefaultExpiresInSeconds;
        body.ThrowIfInvalid();
        IssuedServiceToken issued;
        try
        {
            issued = await tokens.IssueAsync(sandbox.Name, (int)port!.Value, expiresIn);
        }
        catch (RejectedException e) when (e.Code == "NotReady")
        {
            // leap0's spec has no 409 here: a sandbox that is not running is a bad request for a URL into it.
            throw new ApiException(400, "NotReady", e.Message + " (a presigned URL needs a running sandbox: POST /v1/sandbox/{id}/start)");
        }
        return Results.Json(new
        {
            id = issued.Id,
            token = issued.Token,
            url = plane.Enabled ? plane.PresignedUrl(issued.Token) : ServiceUrlEndpoints.BrowserUrl(req, issued),
            sandbox_id = issued.SandboxId,
            port = issued.Port,
            expires_at = issued.ExpiresAt,
            created_at = issued.CreatedAt,
        }, statusCode: 201);
    }
}
