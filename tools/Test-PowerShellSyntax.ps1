#Requires -Version 7.4
<#
.SYNOPSIS
Parses every .ps1, .psd1 and .psm1 file with PowerShell's own parser and reports syntax errors.

.DESCRIPTION
[System.Management.Automation.Language.Parser]::ParseFile over the given files and directories (the repository
root by default). Directories named node_modules, bin, obj, out, TestResults, .git and .vs are skipped. Every
error prints as "path:line:column: syntax error: message"; the last line is "N file(s) checked, N with syntax
errors". Exits 1 when a file has an error, 2 on a usage error. tests/Sandbox.Module.Tests (PsSyntaxTests) runs
it as part of dotnet test.

.EXAMPLE
pwsh -NoProfile -File tools/Test-PowerShellSyntax.ps1 -Quiet

.EXAMPLE
pwsh -NoProfile -File tools/Test-PowerShellSyntax.ps1 tests/pester build.ps1
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0, ValueFromRemainingArguments)]
    [string[]]$Path = @((Split-Path $PSScriptRoot -Parent)),

    # Print only the files with errors and the summary.
    [switch]$Quiet
)

Set-StrictMode -Version Latest
$skip = @('node_modules', 'bin', 'obj', 'out', 'TestResults', '.git', '.vs')
$extensions = @('.ps1', '.psd1', '.psm1')

function Get-PowerShellFile([string]$Directory) {
    foreach ($item in Get-ChildItem -LiteralPath $Directory -Force) {
        if ($item.PSIsContainer) {
            if ($item.Name -notin $skip) { Get-PowerShellFile $item.FullName }
        }
        elseif ($item.Extension -in $extensions) {
            $item.FullName
        }
    }
}

$files = foreach ($p in $Path) {
    if (Test-Path -LiteralPath $p -PathType Container) { Get-PowerShellFile (Resolve-Path -LiteralPath $p).ProviderPath }
    elseif (Test-Path -LiteralPath $p -PathType Leaf) { (Resolve-Path -LiteralPath $p).ProviderPath }
    else { [Console]::Error.WriteLine("no such file or directory: $p"); exit 2 }
}

$broken = 0
$count = 0
foreach ($file in $files) {
    $count++
    $tokens = $null
    $errors = $null
    [System.Management.Automation.Language.Parser]::ParseFile($file, [ref]$tokens, [ref]$errors) | Out-Null
    $relative = [System.IO.Path]::GetRelativePath((Get-Location).ProviderPath, $file)
    if ($errors.Count -gt 0) {
        $broken++
        foreach ($e in $errors) {
            "{0}:{1}:{2}: syntax error: {3}" -f $relative, $e.Extent.StartLineNumber, $e.Extent.StartColumnNumber, $e.Message
        }
    }
    elseif (-not $Quiet) {
        "${relative}: ok"
    }
}
"$count file(s) checked, $broken with syntax errors"
if ($broken -gt 0) { exit 1 }
exit 0
