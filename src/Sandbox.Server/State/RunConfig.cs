using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandbox.Server.State;

/// <summary>
/// The current generation's <c>run_config</c>: who commands run as, where, with which variables. Layers are applied
/// defaults → snapshot → sandbox → command; <see cref="User"/> and <see cref="WorkDir"/> replace, <see cref="EnvVars"/> merge.
/// </summary>
public sealed record RunConfigRecord
{
    /// <summary><c>name</c>, <c>uid</c>, <c>name:group</c> or <c>uid:gid</c>, resolved inside the sandbox.</summary>
    [JsonPropertyName("user")] public string? User { get; init; }
    /// <summary>An absolute path inside the sandbox.</summary>
    [JsonPropertyName("work_dir")] public string? WorkDir { get; init; }
    [JsonPropertyName("env_vars")] public IReadOnlyDictionary<string, string>? EnvVars { get; init; }

    /// <summary>This layer with <paramref name="over"/> on top (null: this one unchanged).</summary>
    public RunConfigRecord Merge(RunConfigRecord? over)
    {
        if (over is null) return this;
        Dictionary<string, string>? env = null;
        if (EnvVars is not null || over.EnvVars is not null)
        {
            env = new Dictionary<string, string>(EnvVars ?? new Dictionary<string, string>());
            foreach (var (k, v) in over.EnvVars ?? new Dictionary<string, string>()) env[k] = v;
        }
        return new RunConfigRecord { User = over.User ?? User, WorkDir = over.WorkDir ?? WorkDir, EnvVars = env };
    }

    public static string? Serialize(RunConfigRecord? config) => config is null ? null : JsonSerializer.Serialize(config);

    public static RunConfigRecord? Deserialize(string? json) => json is null ? null : JsonSerializer.Deserialize<RunConfigRecord>(json);
}
