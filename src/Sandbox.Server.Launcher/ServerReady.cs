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
    /// <summary>leap0's data plane, <c>sandbox.localhost:PORT</c> (<c>data_plane_domain</c>); null when the server runs without one.</summary>
    public string? DataPlaneDomain { get; init; }
    /// <summary>The CA certificate (PEM) the data plane's TLS chains to (<c>data_plane_ca_file</c>); null without a data plane.</summary>
    public string? DataPlaneCaFile { get; init; }

    /// <summary>The value of <c>event</c> in the ready line.</summary>
    public const string EventName = "ready";

    /// <summary>The ready line for these values (what the server prints).</summary>
    public string ToLine()
    {
        var line = new Dictionary<string, object> { ["event"] = EventName, ["endpoint"] = Endpoint, ["pid"] = Pid, ["data_dir"] = DataDir };
        if (DataPlaneDomain is not null) line["data_plane_domain"] = DataPlaneDomain;
        if (DataPlaneCaFile is not null) line["data_plane_ca_file"] = DataPlaneCaFile;
        return JsonSerializer.Serialize(line);
    }

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
            ready = new ServerReady(endpoint.GetString()!.TrimEnd('/'), pidValue, dataDir.GetString()!)
            {
                DataPlaneDomain = OptionalString(root, "data_plane_domain"),
                DataPlaneCaFile = OptionalString(root, "data_plane_ca_file"),
            };
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
