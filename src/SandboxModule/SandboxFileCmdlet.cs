namespace SandboxModule;

/// <summary>
/// The base of the file cmdlets (Get-SandboxContent, Set-SandboxContent, Copy-SandboxItem): the sandbox comes as
/// <c>-Sandbox</c> (an object or a name, by value or by property from the pipeline) and is looked up again before the
/// files are touched, so that a stale object from an earlier Get-Sandbox is never trusted.
/// </summary>
public abstract class SandboxFileCmdlet : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The sandbox: an object from New-Sandbox or Get-Sandbox, or a name. Binds from the pipeline by value or by the property Name or SandboxName.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name", "SandboxName")]
    [SandboxTransformation]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox? Sandbox { get; set; }

    /// <summary>Whether the sandbox came from the pipeline rather than the command line.</summary>
    private protected bool SandboxFromPipeline => !IsOnCommandLine(nameof(Sandbox));

    /// <summary>The sandbox as the server has it now; null when it cannot be had (the error is written for the sandbox).</summary>
    private protected Sandbox.Client.Sandbox? CurrentSandbox()
    {
        var given = Sandbox!;
        Sandbox.Client.Sandbox? current = null;
        return TryItem(given.Name, () => current = Refresh(given)) ? current : null;
    }
}
