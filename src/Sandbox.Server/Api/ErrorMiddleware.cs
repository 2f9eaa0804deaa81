using Sandbox.Server.Api.Leap0;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>
/// Turns exceptions into the error bodies of the protocol the request spoke (<see cref="ErrorShape.For"/>); anything
/// unexpected is a logged 500.
/// </summary>
public sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (Exception e) when (e is not ValidationException && e is not ApiException && e is not DomainException && e is not BadHttpRequestException
                                  && (ctx.RequestAborted.IsCancellationRequested || e is Microsoft.AspNetCore.Connections.ConnectionResetException))
        {
            // The client went away (mid-body, mid-answer): nobody to answer.
            log.LogDebug(e, "{Method} {Path}: the client went away", ctx.Request.Method, ctx.Request.Path);
        }
        catch (Exception e)
        {
            var shape = ErrorShape.For(ctx);
            var (status, body) = e switch
            {
                ValidationException v => (shape.ValidationStatus, shape.Validation(v.Issues)),
                ApiException a => (a.Status, shape.Error(a.Status, a.Error, a.Message)),
                DomainException d => (shape.StatusOf(d), shape.Error(shape.StatusOf(d), d.Code, d.Message)),
                BadHttpRequestException b => (b.StatusCode, shape.Error(b.StatusCode, b.StatusCode == 413 ? "PayloadTooLarge" : "BadRequest", b.Message)),
                _ => (500, shape.Error(500, "InternalError", e.Message)),
            };
            if (status == 500) log.LogError(e, "{Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
            if (ctx.Response.HasStarted) return;
            ctx.Response.Clear();
            ctx.Response.StatusCode = status;
            await ctx.Response.WriteAsJsonAsync(body);
        }
    }

    /// <summary>The HTTP status of each kind of domain error on the LangSmith routes (the wire contract in docs/local-server.md).</summary>
    public static int StatusOf(DomainException e) => e switch
    {
        NotFoundException => 404,
        ConflictException => 409,
        RejectedException => 400,
        UnavailableException => 503,
        TimedOutException => 408,
        _ => 500,
    };
}

/// <summary>How one protocol writes its errors: the body of an error, of a validation failure, and their statuses.</summary>
public abstract class ErrorShape
{
    public abstract int ValidationStatus { get; }
    public abstract object Error(string code, string message);
    /// <summary>The body of an error answered with <paramref name="status"/> (a protocol may shape some statuses apart).</summary>
    public virtual object Error(int status, string code, string message) => Error(code, message);
    public abstract object Validation(IReadOnlyList<ValidationIssue> issues);
    public virtual int StatusOf(DomainException e) => ErrorMiddleware.StatusOf(e);

    /// <summary>leap0's shape under <c>/v1</c> and on its data plane, LangSmith's everywhere else.</summary>
    public static ErrorShape For(HttpContext ctx) =>
        Leap0Api.Owns(ctx.Request.Path) || DataPlane.Serves(ctx) ? Leap0ErrorShape.Instance : LangSmithErrorShape.Instance;
}

/// <summary><c>{"detail":{"error","message"}}</c>, and 422 <c>{"detail":[{"loc","msg","type"}]}</c> (FastAPI's).</summary>
public sealed class LangSmithErrorShape : ErrorShape
{
    public static readonly LangSmithErrorShape Instance = new();
    public override int ValidationStatus => 422;
    public override object Error(string code, string message) => Json.Error(code, message);
    public override object Validation(IReadOnlyList<ValidationIssue> issues) =>
        new { detail = issues.Select(i => new { loc = i.Loc, msg = i.Msg, type = i.Type }) };
}
