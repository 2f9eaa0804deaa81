using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace Sandbox.Module.InProcess.Tests;

/// <summary>
/// One local server for the whole class, started by the module's own Start-SandboxServer on a free port (-Port 0) and a
/// throw-away data directory (never 8765 or /var/lib/sandbox), stopped and removed at the end. Subclasses may start it
/// with a data plane and connect their shells another way (<see cref="Leap0ModuleHost"/>).
/// </summary>
public class ModuleHost : IDisposable
{
    public static string RepoRoot { get; } = Path.GetFullPath(
        typeof(ModuleHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "SandboxRepoRoot").Value!);

    public static string Manifest { get; } = Path.Combine(RepoRoot, "out", "Sandbox", "Sandbox.psd1");

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "sandbox-inproc-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The LocalServerInfo object Start-SandboxServer returned.</summary>
    public PSObject Server { get; }

    /// <summary>The module's server index for this process (SANDBOX_STATE_DIR), so that nothing is noted in the user's.</summary>
    private string StateDirectory => DataDirectory + "-state";

    public ModuleHost() : this(dataPlane: false)
    {
    }

    /// <param name="dataPlane">Also start leap0's data plane (HTTPS) on a free port: <c>Start-SandboxServer -DataPlanePort 0</c>.</param>
    protected ModuleHost(bool dataPlane)
    {
        Assert.True(File.Exists(Manifest), $"the module is not staged: {Manifest}");
        Environment.SetEnvironmentVariable("SANDBOX_STATE_DIR", StateDirectory);
        using var ps = NewShell(connect: false);
        ps.AddCommand("Start-SandboxServer").AddParameter("Port", 0).AddParameter("DataDirectory", DataDirectory)
            .AddParameter("TtlGranularity", 1).AddParameter("Confirm", false);
        if (dataPlane) ps.AddParameter("DataPlanePort", 0);
        var result = ps.Invoke();
        Assert.True(!ps.HadErrors && result.Count == 1, "Start-SandboxServer failed: " + string.Join("; ", ps.Streams.Error));
        Server = result[0];
    }

    /// <summary>A PowerShell with its own runspace, the module imported and (by default) connected to the test server.</summary>
    public PowerShell NewShell(bool connect = true)
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(Manifest);
        var ps = PowerShell.Create(iss);
        if (connect)
        {
            AddConnect(ps).AddCommand("Out-Null").Invoke();
            Assert.False(ps.HadErrors, "Connect-Sandbox failed: " + string.Join("; ", ps.Streams.Error));
            ps.Commands.Clear();
        }
        return ps;
    }

    /// <summary>The Connect-Sandbox command that connects this host's shells to the test server (LangSmith's dialect here).</summary>
    protected virtual PowerShell AddConnect(PowerShell ps) => ps.AddCommand("Connect-Sandbox").AddParameter("Server", Server);

    /// <summary>Runs a script in a fresh connected shell; fails on any error record.</summary>
    public Collection<PSObject> Run(string script)
    {
        using var ps = NewShell();
        var result = ps.AddScript(script).Invoke();
        Assert.False(ps.HadErrors, $"{script}\n" + string.Join("\n", ps.Streams.Error.Select(e => e.FullyQualifiedErrorId + ": " + e)));
        return result;
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            using var ps = NewShell();
            ps.AddScript("Get-Sandbox | Remove-Sandbox -Force -ErrorAction SilentlyContinue").Invoke();
            ps.Commands.Clear();
            ps.AddCommand("Stop-SandboxServer").AddParameter("DataDirectory", DataDirectory).AddParameter("Confirm", false).Invoke();
        }
        finally
        {
            try
            {
                if (Directory.Exists(StateDirectory)) Directory.Delete(StateDirectory, recursive: true);
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
