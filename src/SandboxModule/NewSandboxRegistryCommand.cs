namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Stores a container registry's address and credentials, which image snapshots are pulled with.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "SandboxRegistry", HelpUri = HelpLinks.Base + "New-SandboxRegistry.md", SupportsShouldProcess = true)]
[OutputType(typeof(SandboxRegistry))]
public sealed class NewSandboxRegistryCommand : SandboxConnectedCmdlet
{
    /// <summary><para type="description">The registry's name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [WireField("name")]
    public string Name { get; set; } = "";

    /// <summary><para type="description">The registry's address: host[:port][/path], optionally with http:// or https:// (ghcr.io, https://registry.example.com:5000/team); no credentials, query or fragment.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [WireField("url")]
    public string Url { get; set; } = "";

    /// <summary><para type="description">The user name and password (or token) to pull with, as a PSCredential (Get-Credential). The password is sent once, stored only by the server, and never shown.</para></summary>
    [Parameter(Mandatory = true)]
    [Credential]
    [ValidateNotNull]
    [WireField("username", "password")]
    public PSCredential Credential { get; set; } = null!;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (RegistryCredentials.Problem(Credential) is { } problem) FailArgument(problem, RegistryCredentials.ErrorId, null);
        var password = Credential.GetNetworkCredential().Password;
        if (!ShouldProcess(Name, $"Store the credentials of registry {Url}")) return;
        TryItem(Name, () => WriteObject(Await(Client.Registries.CreateAsync(
            new CreateRegistryRequest { Name = Name, Url = Url, Username = Credential.UserName, Password = password }, null, CancellationToken))));
    }
}

/// <summary>What New- and Set-SandboxRegistry check of -Credential before sending it.</summary>
internal static class RegistryCredentials
{
    public const string ErrorId = "SandboxInvalidCredential";

    /// <summary>Why the credential cannot be used (no user name, an empty password), or null.</summary>
    public static string? Problem(PSCredential credential) =>
        string.IsNullOrEmpty(credential.UserName) ? "-Credential has no user name: give the registry's user name and password (Get-Credential)"
        : string.IsNullOrEmpty(credential.GetNetworkCredential().Password) ? "-Credential has an empty password: give the registry's password or token"
        : null;
}
