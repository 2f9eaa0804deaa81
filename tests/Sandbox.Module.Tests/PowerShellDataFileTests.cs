namespace Sandbox.Module.Tests;

public sealed class PowerShellDataFileTests
{
    [Fact]
    public void Reads_a_module_manifest()
    {
        var m = PowerShellDataFile.Parse("""
            # comment
            @{
                RootModule = 'SandboxModule.dll'   # trailing comment
                ModuleVersion = "0.1.0"
                CompatiblePSEditions = 'Core'
                CmdletsToExport = @(
                    'Get-Sandbox',
                    'New-Sandbox'
                    "Remove-Sandbox"; 'Stop-Sandbox'
                )
                AliasesToExport = 'a', 'b'
                FunctionsToExport = @()
                <# block
                   comment #>
                Count = 3
                Enabled = $true
                Nothing = $null
                'Quoted Key' = 'it''s'
                PrivateData = @{
                    PSData = @{
                        Tags = @('sandbox', 'langsmith')
                        ProjectUri = 'https://example.invalid/p'
                        ReleaseNotes = @'
            line one
            line two
            '@
                    }
                }
            }
            """);
        Assert.Equal("SandboxModule.dll", m["rootmodule"]);
        Assert.Equal(["Get-Sandbox", "New-Sandbox", "Remove-Sandbox", "Stop-Sandbox"], PowerShellDataFile.StringList(m["CmdletsToExport"]));
        Assert.Equal(["a", "b"], PowerShellDataFile.StringList(m["AliasesToExport"]));
        Assert.Equal(["Core"], PowerShellDataFile.StringList(m["CompatiblePSEditions"]));
        Assert.Empty(PowerShellDataFile.StringList(m["FunctionsToExport"])!);
        Assert.Equal(3L, m["Count"]);
        Assert.Equal(true, m["Enabled"]);
        Assert.Null(m["Nothing"]);
        Assert.Equal("it's", m["Quoted Key"]);
        var psData = (Dictionary<string, object?>)((Dictionary<string, object?>)m["PrivateData"]!)["PSData"]!;
        Assert.Equal(["sandbox", "langsmith"], PowerShellDataFile.StringList(psData["Tags"]));
        Assert.Equal("line one\nline two", psData["ReleaseNotes"]);
    }

    [Theory]
    [InlineData("RootModule = 'a'", "expected '@{'")]
    [InlineData("@{ RootModule = 'a' ", "expected a key or '}'")]
    [InlineData("@{ RootModule = $env:X }", "not allowed")]
    [InlineData("@{ A = 'x'; A = 'y' }", "duplicate key")]
    [InlineData("@{ A = 'never closed }", "never closed")]
    [InlineData("@{ A = \"$x\" }", "not allowed")]
    public void Rejects_what_is_not_a_data_file(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => PowerShellDataFile.Parse(text));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("line ", e.Message);
    }
}
