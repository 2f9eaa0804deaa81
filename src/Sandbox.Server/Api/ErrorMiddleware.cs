using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>Turns exceptions into the reference's error bodies; anything unexpected is a logged 500.</summary>
public sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (ValidationException e)
        {
            await WriteAsync(ctx, 422, new { detail = e.Issues.Select(i => new { loc = i.Loc, msg = i.Msg, type = i.Type }) });
        }
        catch (ApiException e)
        {
            await WriteAsync(ctx, e.Status, Json.Error(e.Error, e.Message));
        }
        catch (DomainException e)
        {
            await WriteAsync(ctx, StatusOf(e), Json.Error(e.Code, e.Message));
        }
        catch (BadHttpRequestException e)
        {
            var type = e.StatusCode == 413 ? "PayloadTooLarge" : "BadRequest";
            await WriteAsync(ctx, e.StatusCode, Json.Error(type, e.Message));
        }
        catch (Exception e) when (ctx.RequestAborted.IsCancellationRequested || e is Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The client went away (mid-body, mid-answer): nobody to answer.
            log.LogDebug(e, "{Method} {Path}: the client went away", ctx.Request.Method, ctx.Request.Path);
        }
        catch (Exception e)
        {
            log.LogError(e, "{Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            await WriteAsync(ctx, 500, Json.Error("InternalError", e.Message));
        }
    }

    /// <summary>The HTTP status of each kind of domain error (the wire contract in docs/local-server.md).</summary>
    public static int StatusOf(DomainException e) => e switch
    {
        NotFoundException => 404,
        ConflictException => 409,
        RejectedException => 400,
        UnavailableException => 503,
        TimedOutException => 408,
        _ => 500,
    };

    private static async Task WriteAsync(HttpContext ctx, int status, object body)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsJsonAsync(body);
    }
}
