using System.Diagnostics;

namespace Sandbox.Module.Tests;

/// <summary>
/// tools/ps-syntax/check.mjs (web-tree-sitter + tree-sitter-powershell) over the repository: CI's stand-in for
/// PowerShell's parser on a machine without pwsh. Needs node and `npm ci --prefix tools/ps-syntax`
/// (scripts/install-deps.sh does both).
/// </summary>
public sealed class PsSyntaxTests
{
    private static string Script => Path.Combine(TestEnvironment.RepoRoot, "tools", "ps-syntax", "check.mjs");

    private static (int ExitCode, string Output) RunCheck(params string[] paths)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = TestEnvironment.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Script);
        foreach (var p in paths) psi.ArgumentList.Add(p);
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"node is not installed ({e.Message}); run scripts/install-deps.sh");
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("check.mjs did not finish within 2 minutes");
            }
            process.WaitForExit();
            return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
        }
    }

    [Fact]
    public void Every_PowerShell_file_in_the_repository_parses()
    {
        Assert.True(File.Exists(Script), $"{Script} is missing");
        var (code, output) = RunCheck("--quiet");
        Assert.True(code == 0, $"node tools/ps-syntax/check.mjs exited {code}:\n{output}");
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
