using System.Diagnostics;

namespace Sandbox.Module.Tests;

/// <summary>
/// tools/Test-PowerShellSyntax.ps1 over the repository: PowerShell's own parser
/// (<c>[System.Management.Automation.Language.Parser]::ParseFile</c>) in a real pwsh 7.4+ (scripts/install-deps.sh
/// installs pwsh 7.6.9 as a dotnet global tool when none is on PATH).
/// </summary>
public sealed class PsSyntaxTests
{
    private static string Script => Path.Combine(TestEnvironment.RepoRoot, "tools", "Test-PowerShellSyntax.ps1");

    private static (int ExitCode, string Output) RunCheck(params string[] paths)
    {
        var pwsh = TestEnvironment.Pwsh;
        Assert.True(pwsh is not null, "pwsh is not installed (neither on PATH nor in ~/.dotnet/tools); run scripts/install-deps.sh");
        var psi = new ProcessStartInfo(pwsh!)
        {
            WorkingDirectory = TestEnvironment.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-File", Script }) psi.ArgumentList.Add(a);
        foreach (var p in paths) psi.ArgumentList.Add(p);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("Test-PowerShellSyntax.ps1 did not finish within 2 minutes");
        }
        process.WaitForExit();
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    [Fact]
    public void Every_PowerShell_file_in_the_repository_parses()
    {
        Assert.True(File.Exists(Script), $"{Script} is missing");
        var (code, output) = RunCheck("-Quiet");
        Assert.True(code == 0, $"tools/Test-PowerShellSyntax.ps1 exited {code}:\n{output}");
        Assert.Contains("file(s) checked", output);
        // The repository has PowerShell (build.ps1 at least), so the check cannot pass by finding nothing.
        Assert.DoesNotContain(" 0 file(s) checked", output);
    }

    [Fact]
    public void The_check_flags_a_broken_file_and_passes_a_good_one()
    {
        string dir = Directory.CreateTempSubdirectory("ps-syntax-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Good.Tests.ps1"), """
                Describe 'Get-Sandbox' {
                    It 'pipes' {
                        Get-Sandbox -Name 'ci-*' | Remove-Sandbox -Force
                        $x = @{ Name = 'a'; Count = 2 }
                        $x.Name | Should -Be 'a'
                    }
                }
                """);
            File.WriteAllText(Path.Combine(dir, "Broken.ps1"), """
                function Get-Thing {
                    param([string]$Name)
                    $list = @(1, 2
                    if ($Name) { 'x' }

                """);
            File.WriteAllText(Path.Combine(dir, "Broken.psd1"), "@{ RootModule = 'a.dll'; CmdletsToExport = @('A-B' }\n");

            var (code, output) = RunCheck(dir);
            Assert.True(code == 1, $"expected exit 1 for a broken file, got {code}:\n{output}");
            Assert.Matches(@"Broken\.ps1:\d+:\d+: syntax error", output);
            Assert.Matches(@"Broken\.psd1:\d+:\d+: syntax error", output);
            Assert.DoesNotMatch(@"Good\.Tests\.ps1:\d+", output);
            Assert.Contains("3 file(s) checked, 2 with syntax errors", output);

            var (goodCode, goodOutput) = RunCheck(Path.Combine(dir, "Good.Tests.ps1"));
            Assert.True(goodCode == 0, $"a valid Pester file was flagged:\n{goodOutput}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
