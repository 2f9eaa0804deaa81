using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>
/// A command that exited with a non-zero code when the caller asked for that to be an error
/// (<c>Invoke-SandboxCommand -ErrorOnNonZeroExit</c>). Without that switch a non-zero exit is data, not an error.
/// </summary>
public sealed class SandboxCommandFailedException : SandboxApiException, IModuleError
{
    /// <summary>Creates the exception for <paramref name="result"/>.</summary>
    public SandboxCommandFailedException(CommandResult result)
        : base(MessageFor(result), null, "CommandFailed")
    {
        Result = result ?? throw new ArgumentNullException(nameof(result));
        TargetName = result.Sandbox;
    }

    /// <summary>The command's full result (stdout, stderr, exit code).</summary>
    public CommandResult Result { get; }

    /// <inheritdoc />
    public string ErrorId => "SandboxCommandFailed";

    /// <inheritdoc />
    public string CategoryName => SandboxErrorCategory.InvalidResult;

    /// <inheritdoc />
    public override bool IsTransient => false;

    private static string MessageFor(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var stderr = result.Stderr.TrimEnd();
        if (stderr.Length > 2000) stderr = "..." + stderr[^2000..];
        return $"the command '{result.Command}' in sandbox '{result.Sandbox}' exited with code {result.ExitCode}" + (stderr.Length == 0 ? "" : ": " + stderr);
    }
}
