using System.Net.WebSockets;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's terminals: <c>/v1/sandbox/{id}/pty</c> (create, list), <c>/pty/{sid}</c> (get, delete), <c>/pty/{sid}/resize</c>
/// and the WebSocket <c>/pty/{sid}/connect</c> (raw terminal bytes: binary frames out, binary or text frames in).
/// </summary>
public static class Leap0PtyEndpoints
{
    public const int MaxSize = Services.Exec.TerminalSize.Max;

    public static void Map(RouteGroupBuilder v1)
    {
        var pty = v1.MapGroup("/sandbox/{id}/pty");
        pty.MapPost("", Create);
        pty.MapGet("", (string id, PtySessions sessions) => Results.Json(new { items = sessions.List(id).Select(Info) }));
        pty.MapGet("/{sid}", (string id, string sid, PtySessions sessions) => Results.Json(Info(sessions.Get(id, sid))));
        pty.MapDelete("/{sid}", async (string id, string sid, PtySessions sessions) =>
        {
            await sessions.DeleteAsync(id, sid);
            return Results.NoContent();
        });
        pty.MapPost("/{sid}/resize", async (string id, string sid, HttpRequest req, PtySessions sessions) =>
        {
            var body = await JsonInput.ReadAsync(req);
            var cols = (int?)body.Integer("cols", 1, MaxSize, required: true);
            var rows = (int?)body.Integer("rows", 1, MaxSize, required: true);
            body.ThrowIfInvalid();
            return Results.Json(Info(sessions.Resize(id, sid, cols!.Value, rows!.Value)));
        });
        pty.MapGet("/{sid}/connect", Connect);
    }

    private static object Info(PtySession s) => new
    {
        id = s.Id,
        cwd = s.Cwd,
        envs = s.Request.Env,
        cols = s.Cols,
        rows = s.Rows,
        created_at = s.CreatedAt,
        active = s.Active,
        lazy_start = s.Request.LazyStart,
    };

    private static async Task<IResult> Create(string id, HttpContext ctx, PtySessions sessions)
    {
        var body = await JsonInput.ReadAsync(ctx.Request, allowEmpty: true);
        var sid = body.String("id");
        if (sid is not null && (sid.Length is 0 or > 128 || !sid.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            body.Fail("id", "must be 1-128 letters, digits, '-', '_' or '.'");
        var cwd = body.String("cwd");
        if (cwd is not null && (cwd.Length == 0 || cwd.Contains('\0'))) body.Fail("cwd", "must be a directory path without NUL");
        var env = body.Environment("envs") ?? [];
        var cols = (int?)body.Integer("cols", 1, MaxSize) ?? 80;
        var rows = (int?)body.Integer("rows", 1, MaxSize) ?? 24;
        var lazy = body.Bool("lazy_start") ?? false;
        body.ThrowIfInvalid();
        var session = await sessions.CreateAsync(id, new PtyRequest(sid, cwd, env, cols, rows, lazy), ctx.RequestAborted);
        return Results.Json(Info(session), statusCode: 201);
    }

    private static async Task Connect(string id, string sid, HttpContext ctx, PtySessions sessions)
    {
        var session = sessions.Get(id, sid); // 404 as plain HTTP, before the upgrade
        if (!ctx.WebSockets.IsWebSocketRequest) throw ApiException.BadRequest("NotWebSocket", "connect is a WebSocket: send an upgrade request");
        await sessions.StartAsync(session, ctx.RequestAborted);
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        var sendLock = new SemaphoreSlim(1, 1);
        async Task Send(ReadOnlyMemory<byte> data)
        {
            await sendLock.WaitAsync();
            try
            {
                await socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);
            }
            finally
            {
                sendLock.Release();
            }
        }
        var attachment = await session.AttachAsync(Send);
        var closed = 0;
        async Task CloseAsync(string why)
        {
            if (Interlocked.Exchange(ref closed, 1) != 0) return;
            await sendLock.WaitAsync();
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, why, bound.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
            {
                // Gone already.
            }
            finally
            {
                sendLock.Release();
            }
        }
        // The shell's end, or another connection taking the terminal, closes this one (the client answers the close).
        using var ended = attachment.Register(() => _ = CloseAsync("another connection took the terminal"));
        _ = session.Ended.ContinueWith(_ => CloseAsync("the terminal's shell ended"), TaskScheduler.Default);
        try
        {
            var buffer = new byte[16 << 10];
            while (true)
            {
                // Never cancelled: cancelling a receive aborts the socket without its close handshake.
                var frame = await socket.ReceiveAsync(buffer, ctx.RequestAborted);
                if (frame.MessageType == WebSocketMessageType.Close) break;
                if (closed == 0) await session.WriteAsync(buffer.AsMemory(0, frame.Count), ctx.RequestAborted);
            }
            await CloseAsync("closed by the client");
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went away.
        }
        finally
        {
            session.Detach(attachment);
        }
    }
}
