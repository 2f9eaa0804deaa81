using System.Management.Automation;

namespace Sandbox.Module.InProcess.Tests;

/// <summary>
/// The test server with leap0's data plane (<c>-DataPlanePort 0</c>), and shells connected to its <c>/v1</c> in leap0's
/// dialect (<c>Connect-Sandbox -Server $server -Provider Leap0</c>), whose sandbox domain is the data plane's.
/// </summary>
public sealed class Leap0ModuleHost() : ModuleHost(dataPlane: true)
{
    /// <summary><c>sandbox.localhost:PORT</c>.</summary>
    public string DataPlaneDomain => (string)Server.Properties["DataPlaneDomain"].Value;

    /// <summary>The PEM file of the CA the data plane's certificate chains to.</summary>
    public string DataPlaneCertificateAuthority => (string)Server.Properties["DataPlaneCertificateAuthority"].Value;

    /// <summary>The server's API key (its key file), which leap0's invoke URLs want as a bearer token.</summary>
    public string ApiKey => File.ReadAllText((string)Server.Properties["ApiKeyFile"].Value).Trim();

    protected override PowerShell AddConnect(PowerShell ps) => base.AddConnect(ps).AddParameter("Provider", "Leap0");
}
