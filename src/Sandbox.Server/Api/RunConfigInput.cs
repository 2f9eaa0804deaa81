using System.Text.RegularExpressions;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>Reads a <c>run_config</c> object (create, PATCH, a command): <c>user</c>, <c>work_dir</c>, <c>env_vars</c>.</summary>
public static partial class RunConfigInput
{
    private static readonly string[] Fields = ["user", "work_dir", "env_vars"];

    // A user or group name as useradd takes it (and the digits of an id, which are tried as a name first).
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\\$?$")]
    private static partial Regex NamePattern();

    /// <summary>The object at <paramref name="field"/>, or null when absent; problems are added to <paramref name="body"/>.</summary>
    public static RunConfigRecord? Read(JsonInput body, string field = "run_config")
    {
        var config = body.Object(field);
        if (config is null) return null;
        var raw = body.Raw(field)!.Value;
        foreach (var p in raw.EnumerateObject())
            if (!Fields.Contains(p.Name))
                config.Fail(p.Name, $"unknown field: run_config has {string.Join(", ", Fields)}", "extra_forbidden");
        var user = config.String("user");
        if (user is not null) CheckUser(config, user);
        var workDir = config.String("work_dir");
        if (workDir is not null)
        {
            if (!workDir.StartsWith('/')) config.Fail("work_dir", "must be an absolute path inside the sandbox");
            else if (workDir.Contains('\0')) config.Fail("work_dir", "must not contain NUL characters");
            else if (System.Text.Encoding.UTF8.GetByteCount(workDir) >= 4096) config.Fail("work_dir", "must be shorter than 4096 bytes (PATH_MAX)");
        }
        var env = config.Environment("env_vars");
        return new RunConfigRecord { User = user, WorkDir = workDir, EnvVars = env };
    }

    /// <summary><c>name</c>, <c>uid</c>, <c>name:group</c> or <c>uid:gid</c>; ids within the sandbox's 0-65535.</summary>
    private static void CheckUser(JsonInput config, string user)
    {
        var parts = user.Split(':');
        if (parts.Length > 2 || parts.Any(p => !NamePattern().IsMatch(p)))
        {
            config.Fail("user", "must be 'name', 'uid', 'name:group' or 'uid:gid' (names of letters, digits, '_', '.', '-', at most 32 characters)");
            return;
        }
        foreach (var part in parts)
            if (part.All(char.IsAsciiDigit) && (part.Length > 5 || int.Parse(part) > 65535))
                config.Fail("user", $"id {part} is outside the sandbox's ids (0-65535)");
    }
}
