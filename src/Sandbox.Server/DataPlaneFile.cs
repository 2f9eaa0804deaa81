using System.Text.Json;

namespace Sandbox.Server;

/// <summary>
/// <c>DATA/data-plane.json</c>, <c>{"domain":"sandbox.localhost:PORT","ca_file":"DATA/tls/ca.crt"}</c>: where a client
/// on this machine finds the data plane of the server that runs on this data dir (the port may be ephemeral). Written
/// at each start (0644: nothing secret); removed when the data plane is off.
/// </summary>
public static class DataPlaneFile
{
    public static string PathIn(string dataDir) => Path.Combine(dataDir, "data-plane.json");

    public static void Write(string dataDir, string? domain, string caFile)
    {
        var path = PathIn(dataDir);
        if (domain is null)
        {
            File.Delete(path);
            return;
        }
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(new Dictionary<string, string> { ["domain"] = domain, ["ca_file"] = caFile }) + "\n");
        File.SetUnixFileMode(path + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
