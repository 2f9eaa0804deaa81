using System.Text.Json;

namespace Sandbox.Server.Launcher;

/// <summary>
/// The line the server prints on standard output once it listens, for launchers to wait on (the human
/// <c>listening on http://...</c> line before it is for people and may change):
/// <c>{"event":"ready","endpoint":"http://127.0.0.1:PORT","pid":N,"data_dir":"/path"}</c>.
/// </summary>
/// <param name="Endpoint">The address it listens on, without a trailing slash.</param>
/// <param name="Pid">The server's process id (the process that serves, not a shell or wrapper in front of it).</param>
/// <param name="DataDir">Its data directory.</param>
public sealed record ServerReady(string Endpoint, int Pid, string DataDir)
{
    /// <summary>The value of <c>event</c> in the ready line.</summary>
    public const string EventName = "ready";

    /// <summary>The ready line for these values (what the server prints).</summary>
    public string ToLine() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["event"] = EventName,
        ["endpoint"] = Endpoint,
        ["pid"] = Pid,
        ["data_dir"] = DataDir,
    });

    /// <summary>Reads a ready line; any other line (logs, the human lines, other JSON) is not one.</summary>
    public static bool TryParse(string? line, out ServerReady? ready)
    {
        ready = null;
        if (string.IsNullOrWhiteSpace(line) || !line.TrimStart().StartsWith('{')) return false;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("event", out var e) || e.ValueKind != JsonValueKind.String || e.GetString() != EventName
                || !root.TryGetProperty("endpoint", out var endpoint) || endpoint.ValueKind != JsonValueKind.String
                || !Uri.TryCreate(endpoint.GetString(), UriKind.Absolute, out _)
                || !root.TryGetProperty("pid", out var pid) || pid.ValueKind != JsonValueKind.Number || !pid.TryGetInt32(out var pidValue)
                || !root.TryGetProperty("data_dir", out var dataDir) || dataDir.ValueKind != JsonValueKind.String)
                return false;
            ready = new ServerReady(endpoint.GetString()!.TrimEnd('/'), pidValue, dataDir.GetString()!);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
