namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the connection the sandbox cmdlets use here: the default (Connect-Sandbox), else the configuration chain's.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxConnection", HelpUri = HelpLinks.Base + "Get-SandboxConnection.md")]
[OutputType(typeof(SandboxConnection))]
public sealed class GetSandboxConnectionCommand : SandboxCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        // What the next cmdlet would use, without starting a server: the default, the chain's connection, or what the
        // chain resolves to now (its sources as they are: LocalServer, SandboxEnvironment, ...).
        try
        {
            var chain = SandboxConnectionSettings.Resolve();
            WriteObject(ModuleState.Current.CurrentConnection(chain) ?? new SandboxConnection(chain, chain.IsLocalServer));
        }
        catch (ArgumentException e)
        {
            WriteError(ErrorFor(e, null));
        }
    }
}
