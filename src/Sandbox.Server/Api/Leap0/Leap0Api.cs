namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's <c>/v1</c> API on the same port as LangSmith's <c>/v2/sandboxes</c>: its own auth header
/// (<see cref="ApiKeyMiddleware"/>), its own error bodies (<see cref="Leap0ErrorShape"/>), the same services.
/// Paths are matched with and without the trailing <c>/</c> the SDKs send (routing ignores it).
/// </summary>
public static class Leap0Api
{
    public const string Prefix = "/v1";

    public static bool Owns(PathString path) => path.StartsWithSegments(Prefix);

    public static void Map(WebApplication app)
    {
        var v1 = app.MapGroup(Prefix);
        Leap0SandboxEndpoints.Map(v1);
        Leap0SnapshotEndpoints.Map(v1);
        Leap0TemplateEndpoints.Map(v1);
        Leap0PresignedUrlEndpoints.Map(v1);
        Leap0ProcessEndpoints.Map(v1);
        Leap0FileEndpoints.Map(v1);
        Leap0GitEndpoints.Map(v1);
        Leap0PtyEndpoints.Map(v1);
        Leap0UnsupportedEndpoints.Map(v1);
        v1.MapFallback(ctx => throw ApiException.NotFound("NotFound", $"no route {ctx.Request.Method} {ctx.Request.Path}"));
    }
}
