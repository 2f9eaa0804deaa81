using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Sandbox.Server.Api;

public enum OutputStream : byte
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>
/// The two encodings of output frames. JSON text (the reference's `{"type","data","offset"}`) and,
/// when the execute frame asks with `"binary_output": true` (a local-server extension), binary
/// messages: one byte stream (1 stdout, 2 stderr), the offset as a big-endian u64, then the raw bytes.
/// Binary frames carry any bytes exactly and cost no escaping.
/// </summary>
public static class OutputFrames
{
    public const int HeaderBytes = 9;

    public static void WriteHeader(Span<byte> frame, OutputStream stream, long offset)
    {
        frame[0] = (byte)stream;
        BinaryPrimitives.WriteInt64BigEndian(frame[1..], offset);
    }

    /// <summary>The JSON text frame, written into <paramref name="buffer"/> (reset first; reused by the caller frame after frame).</summary>
    public static ReadOnlyMemory<byte> Json(OutputStream stream, long offset, ReadOnlySpan<byte> data, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, ExecWebSocket.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", stream == OutputStream.Stdout ? "stdout" : "stderr");
            // Valid UTF-8 is escaped straight from the bytes; anything else is decoded with replacement characters.
            if (System.Text.Unicode.Utf8.IsValid(data)) writer.WriteString("data", data);
            else writer.WriteString("data", Encoding.UTF8.GetString(data));
            writer.WriteNumber("offset", offset);
            writer.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }
}
