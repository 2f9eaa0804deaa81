using System.Text.Json;

namespace Sandbox.Module.Support;

/// <summary>
/// A running local server's leap0 data plane, as it writes it to <c>{data dir}/data-plane.json</c> at each start
/// (<c>{"domain":"sandbox.localhost:PORT","ca_file":"{data dir}/tls/ca.crt"}</c>; no file: the data plane is off).
/// </summary>
/// <param name="Domain">leap0's sandbox domain, <c>sandbox.localhost:PORT</c>: invoke URLs are <c>https://{id}-{port}.{Domain}</c>.</param>
/// <param name="CertificateAuthority">The CA certificate (PEM) the data plane's TLS chains to.</param>
public sealed record LocalDataPlane(string Domain, string CertificateAuthority)
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "data-plane.json";

    /// <summary>The data plane recorded in <paramref name="dataDirectory"/>; null when there is none or the file is unreadable.</summary>
    public static LocalDataPlane? Read(string dataDirectory) => Read(dataDirectory, out _);

    /// <summary>
    /// The data plane recorded in <paramref name="dataDirectory"/>. Null when there is no file (the data plane is off) or it
    /// cannot be used; then <paramref name="problem"/> says why for a file that exists (for a verbose line), else it is null.
    /// </summary>
    public static LocalDataPlane? Read(string dataDirectory, out string? problem)
    {
        problem = null;
        var path = Path.Combine(dataDirectory, FileName);
        string text;
        try
        {
            if (!File.Exists(path)) return null;
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"{path} cannot be read ({e.Message}): taken as no data plane";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            var domain = root.ValueKind == JsonValueKind.Object ? StringProperty(root, "domain") : null;
            var ca = root.ValueKind == JsonValueKind.Object ? StringProperty(root, "ca_file") : null;
            // A domain is a host name with a port (no scheme, path or spaces); the CA is an absolute path.
            if (domain is not null && ca is not null && Uri.CheckHostName(domain.Split(':')[0]) == UriHostNameType.Dns
                && Uri.TryCreate("https://x." + domain + "/", UriKind.Absolute, out var probe) && probe.AbsolutePath == "/" && Path.IsPathRooted(ca))
                return new LocalDataPlane(domain, ca);
            problem = $"{path} is not {{\"domain\":\"HOST:PORT\",\"ca_file\":\"/absolute/path\"}}: taken as no data plane";
            return null;
        }
        catch (JsonException e)
        {
            problem = $"{path} is not JSON ({e.Message}): taken as no data plane";
            return null;
        }
    }

    private static string? StringProperty(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
