namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Changes a container registry's address or credentials.</para>
/// <para type="description">Only what is given changes; the password is sent once and never shown. Rename-SandboxRegistry renames it.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "SandboxRegistry", HelpUri = HelpLinks.Base + "Set-SandboxRegistry.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxRegistry))]
public sealed class SetSandboxRegistryCommand : ResourceCmdlet<SandboxRegistry>
{
    /// <summary><para type="description">The registry's new address: host[:port][/path], optionally with http:// or https://; no credentials, query or fragment.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [WireField("url")]
    public string? Url { get; set; }

    /// <summary><para type="description">The new user name and password (or token), as a PSCredential (Get-Credential).</para></summary>
    [Parameter]
    [Credential]
    [ValidateNotNull]
    [WireField("username", "password")]
    public PSCredential? Credential { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        if (Url is null && Credential is null)
            FailArgument("nothing to change: give -Url, -Credential or both (Rename-SandboxRegistry renames)", "SandboxNothingToChange", null);
        if (Credential is not null && RegistryCredentials.Problem(Credential) is { } problem)
            FailArgument(problem, RegistryCredentials.ErrorId, null);
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var request = new UpdateRegistryRequest { Url = Url, Username = Credential?.UserName, Password = Credential?.GetNetworkCredential().Password };
        Change($"Set the registry's {request}", name => Client.Registries.UpdateAsync(name, request, null, CancellationToken));
    }
}
