using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's language servers (<c>/lsp/*</c>) and SSH access (<c>/ssh/*</c>, both path styles): the local server has
/// neither, and says so: 400 <c>NotSupported</c> (after 404 for a sandbox that does not exist), never a 404 that looks
/// like a missing route.
/// </summary>
public static class Leap0UnsupportedEndpoints
{
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete];

    public static void Map(RouteGroupBuilder v1)
    {
        Refuse(v1, "lsp", "language servers (LSP) are not supported by the local server: run one inside the sandbox with process/execute or a PTY session");
        Refuse(v1, "ssh", "SSH access is not supported by the local server: use process/execute, the filesystem endpoints or the LangSmith WebSocket exec");
    }

    private static void Refuse(RouteGroupBuilder v1, string area, string message)
    {
        IResult Handler(string id, SandboxManager manager)
        {
            manager.GetById(id);
            throw new RejectedException("NotSupported", message);
        }
        v1.MapMethods($"/sandbox/{{id}}/{area}", Methods, Handler);
        v1.MapMethods($"/sandbox/{{id}}/{area}/{{**rest}}", Methods, Handler);
    }
}
