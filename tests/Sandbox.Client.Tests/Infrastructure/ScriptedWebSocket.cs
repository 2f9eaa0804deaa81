using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Client.Tests.Infrastructure;

/// <summary>The server side of a WebSocket handshake over a raw stream, for scripted fake servers.</summary>
public static class ScriptedWebSocket
{
    /// <summary>Reads the upgrade request, answers 101 and returns the server-side WebSocket.</summary>
    public static async Task<WebSocket> AcceptAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        // Bounded: a request head of at most 64 KiB.
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (head.Length > 65536 || await stream.ReadAsync(one) == 0) throw new IOException("no upgrade request");
            head.Append((char)one[0]);
        }
        var key = head.ToString().Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
    }
}
