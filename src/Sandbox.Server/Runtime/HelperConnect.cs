using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Sandbox.Server.Runtime;

/// <summary>
/// The helper's <c>connect</c> op (native/sandbox-init.c): a TCP socket connected to 127.0.0.1:port inside the
/// sandbox's network namespace, passed back with SCM_RIGHTS. Service URLs proxy through these sockets.
/// </summary>
public static class HelperConnect
{
    public static async Task<Socket> ConnectTcpAsync(string socketPath, int port, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        using var control = await HelperClient.ConnectAsync(socketPath, ct);
        var payload = Encoding.ASCII.GetBytes($"connect\0{port}\0");
        var message = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)payload.Length);
        payload.CopyTo(message, 4);
        await control.SendAsync(message, SocketFlags.None, ct);
        // "F\n" with the descriptor attached, or an error line; wait until it is readable without blocking a thread.
        await control.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, ct);
        var buffer = new byte[128];
        var (length, fd) = Native.ReceiveWithDescriptor(control.SafeHandle, buffer);
        var reply = Encoding.ASCII.GetString(buffer, 0, length).TrimEnd('\n');
        if (fd is not null && reply == "F")
        {
            var handle = new SafeSocketHandle(fd.DangerousGetHandle(), ownsHandle: true);
            fd.SetHandleAsInvalid(); // ownership moves to the socket handle
            return new Socket(handle);
        }
        fd?.Dispose();
        if (reply.StartsWith("E "))
        {
            var parts = reply.Split(' ');
            throw new HelperException(parts.Length > 1 ? parts[1] : "unknown", parts.Length > 2 && int.TryParse(parts[2], out var e) ? e : 0);
        }
        throw new SandboxUnreachableException($"unexpected helper reply '{reply}'");
    }
}
