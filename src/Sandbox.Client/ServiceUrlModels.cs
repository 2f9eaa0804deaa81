using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>
/// A service URL: a time-limited address on the server that proxies HTTP and WebSocket traffic to one port inside a
/// sandbox (<c>POST /boxes/{name}/service-url</c>).
/// </summary>
public sealed class SandboxServiceUrl
{
    /// <summary>The header that carries <see cref="Token"/> on requests to <see cref="ServiceUrl"/>.</summary>
    public const string TokenHeader = "X-Langsmith-Sandbox-Service-Token";

    /// <summary>The proxy's base URL; requests to it (and paths under it) carry <see cref="TokenHeader"/>.</summary>
    public string ServiceUrl { get; set; } = "";

    /// <summary>The same address with the token in it, for a browser (no header needed).</summary>
    public string BrowserUrl { get; set; } = "";

    /// <summary>The token: a secret, valid until <see cref="ExpiresAt"/>.</summary>
    public string Token { get; set; } = "";

    /// <summary>When the token stops working (UTC).</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The sandbox's name, as the caller gave it (set by the client, not the server).</summary>
    [JsonIgnore]
    public string SandboxName { get; set; } = "";

    /// <summary>The port inside the sandbox (set by the client, not the server).</summary>
    [JsonIgnore]
    public int Port { get; set; }

    /// <summary><paramref name="url"/> with <c>http</c>/<c>https</c> turned into <c>ws</c>/<c>wss</c>.</summary>
    public static string ToWebSocketUrl(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + url[8..]
        : url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + url[7..]
        : url;
}

/// <summary>
/// A download link: a time-limited URL that serves one file of a sandbox to anyone who has it, without the API key
/// (GET, HEAD and Range requests; <c>POST /boxes/{name}/download-url</c>).
/// </summary>
public sealed class SandboxDownloadLink
{
    /// <summary>The link: the token is in it, so it is a secret until <see cref="ExpiresAt"/>.</summary>
    public string DownloadUrl { get; set; } = "";

    /// <summary>The token the link carries.</summary>
    public string Token { get; set; } = "";

    /// <summary>When the link stops working (UTC); null when it never does.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>The sandbox's name, as the caller gave it (set by the client, not the server).</summary>
    [JsonIgnore]
    public string SandboxName { get; set; } = "";

    /// <summary>The file's path in the sandbox, as the caller gave it (set by the client, not the server).</summary>
    [JsonIgnore]
    public string Path { get; set; } = "";
}
