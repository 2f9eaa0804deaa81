using System.Reflection;

namespace Sandbox.Module.Tests;

/// <summary>Where the repository, the staged module and the PowerShell reference assembly are.</summary>
internal static class TestEnvironment
{
    /// <summary>The repository root (SANDBOX_REPO_ROOT overrides, e.g. to point the contract tests at another tree).</summary>
    public static string RepoRoot { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("SANDBOX_REPO_ROOT") is { Length: > 0 } root
            ? root
            : Metadata("SandboxRepoRoot") ?? throw new InvalidOperationException("the test assembly does not carry SandboxRepoRoot"));

    /// <summary>out/Sandbox, as staged by src/SandboxModule/Module.targets (SANDBOX_MODULE_DIR overrides).</summary>
    public static string StageDir { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("SANDBOX_MODULE_DIR") is { Length: > 0 } dir ? dir : Path.Combine(RepoRoot, "out", "Sandbox"));

    public static string DocsDir => Path.Combine(RepoRoot, "docs", "cmdlets");
    public static string PesterDir => Path.Combine(RepoRoot, "tests", "pester");

    /// <summary>A pwsh to run: the first on PATH, else the dotnet global tool in ~/.dotnet/tools; null when neither exists.</summary>
    public static string? Pwsh =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "pwsh"))
            .Append(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "pwsh"))
            .FirstOrDefault(File.Exists);

    /// <summary>The folder holding PowerShellStandard.Library's reference System.Management.Automation.dll.</summary>
    public static string? PowerShellStandardDir
    {
        get
        {
            var candidates = new List<string>();
            if (Metadata("PowerShellStandardLibraryDir") is { Length: > 0 } pkg) candidates.Add(pkg);
            string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            candidates.Add(Path.Combine(packages, "powershellstandard.library", "5.1.0-preview-06"));
            return candidates
                .Select(c => Path.Combine(c, "lib", "netstandard2.0"))
                .FirstOrDefault(c => File.Exists(Path.Combine(c, "System.Management.Automation.dll")));
        }
    }

    private static string? Metadata(string key) =>
        typeof(TestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
