using System.Collections;

namespace SandboxModule;

/// <summary>
/// The base of the cmdlets that say how commands run (New-Sandbox and Use-Sandbox for every command of the sandbox,
/// Invoke-SandboxCommand for one): the user, the working directory and the environment, declared once.
/// </summary>
public abstract class SandboxRunSettingsCmdlet : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The user commands run as: a name, a uid, name:group or uid:gid, resolved in the sandbox.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("run_config.user")]
    public string? RunAs { get; set; }

    /// <summary><para type="description">The directory commands start in (relative paths are relative to /home/user).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("run_config.work_dir", "cwd")]
    public string? WorkingDirectory { get; set; }

    /// <summary><para type="description">Environment variables for commands, as a hashtable.</para></summary>
    [Parameter]
    [ValidateNotNull]
    [WireField("env", "env_vars", "run_config.env_vars")]
    public Hashtable? Environment { get; set; }

    /// <summary>-Environment as strings; a bad key is a terminating <c>InvalidArgument</c> error.</summary>
    private protected Dictionary<string, string>? EnvironmentVariables => ToEnvironment(Environment, nameof(Environment));

    /// <summary>
    /// Puts -RunAs, -WorkingDirectory and -Environment on a command. -RunAs needs the current generation's run_config,
    /// which then carries the directory and environment too (a command takes run_config or the older env/cwd, never
    /// both); without it the older fields, which every server takes.
    /// </summary>
    private protected void ApplyRunSettings(CommandRequest request)
    {
        var environment = EnvironmentVariables;
        if (RunAs is not null)
        {
            request.RunConfig = ToRunConfig(environment);
        }
        else
        {
            request.WorkingDirectory = WorkingDirectory;
            request.Environment = environment;
        }
    }

    /// <summary>-RunAs and -WorkingDirectory (made absolute under /home/user) with <paramref name="environment"/> as a run_config; null when none is given.</summary>
    private protected SandboxRunConfig? ToRunConfig(Dictionary<string, string>? environment) =>
        RunAs is null && WorkingDirectory is null && environment is null ? null : new SandboxRunConfig
        {
            User = RunAs,
            WorkingDirectory = WorkingDirectory is null ? null : SandboxDefaults.ToAbsoluteWorkingDirectory(WorkingDirectory),
            Environment = environment,
        };
}
