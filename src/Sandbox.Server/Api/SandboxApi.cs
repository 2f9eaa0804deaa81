namespace Sandbox.Server.Api;

/// <summary>
/// Every route of the server, mapped in one place. A new protocol's endpoint group lives in
/// <c>Api/&lt;Protocol&gt;/</c> and is added here.
/// </summary>
public static class SandboxApi
{
    public static WebApplication MapSandboxApi(this WebApplication app, string apiKey)
    {
        app.Use(app.Services.GetRequiredService<Services.ServerActivity>().Middleware); // first: what --idle-shutdown counts as use
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseMiddleware<ErrorMiddleware>();
        app.UseMiddleware<Leap0.Leap0DataPlaneMiddleware>(apiKey); // the HTTPS listener's requests end there
        app.UseMiddleware<ApiKeyMiddleware>(apiKey);
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" }));
        foreach (var prefix in ControlPlaneEndpoints.Prefixes)
        {
            var api = app.MapGroup(prefix);
            ControlPlaneEndpoints.Map(api);
            VolumeEndpoints.Map(api);
            PauseEndpoints.Map(api);
            PoolEndpoints.Map(api);
            SnapshotEndpoints.Map(api);
            ServiceUrlEndpoints.MapIssue(api);
            RegistryEndpoints.Map(api);
            DownloadLinkEndpoints.MapIssue(api);
        }
        DataplaneEndpoints.Map(app);
        FileSearchEndpoints.Map(app);
        ServiceUrlEndpoints.MapProxy(app);
        DownloadLinkEndpoints.MapLink(app);
        Leap0.Leap0Api.Map(app);
        app.MapFallback(ctx => throw ApiException.NotFound("NotFound", $"no route {ctx.Request.Method} {ctx.Request.Path}"));
        return app;
    }
}
