using System.Security.Cryptography;

namespace Sandbox.Server;

/// <summary>The server's API key: made once, kept in DATA/api-key readable by its owner only.</summary>
public static class ApiKeyFile
{
    public static string PathIn(string dataDir) => Path.Combine(dataDir, "api-key");

    public static string LoadOrCreate(string dataDir)
    {
        var path = PathIn(dataDir);
        if (File.Exists(path))
        {
            var existing = File.ReadAllText(path).Trim();
            if (existing.Length > 0) return existing;
        }
        var key = "sbx_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        Runtime.PrivateFile.Write(path, key + "\n");
        return key;
    }
}
