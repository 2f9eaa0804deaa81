#Requires -Version 7.4
<#
.SYNOPSIS
Runs the Pester suite (tests/pester) against the built module in out/Sandbox.

.DESCRIPTION
Imports Pester 5.7.1 from the NuGet package cache (scripts/install-deps.sh puts it there), runs every
*.Tests.ps1 file next to this script (or the given paths) and ends with one machine-readable line:

    pester-result: passed=N failed=N skipped=N notrun=N

which scripts/test.sh adds to the xunit counts. Exits 1 when a test failed or a container (file) did not run.

.EXAMPLE
pwsh -NoProfile -File tests/pester/Run.ps1

.EXAMPLE
pwsh -NoProfile -File tests/pester/Run.ps1 -Path tests/pester/Help.Tests.ps1 -ResultPath out/pester-results.xml

.EXAMPLE
SANDBOX_TEST_MODULE=/tmp/old/out/Sandbox/Sandbox.psd1 pwsh -NoProfile -File tests/pester/Run.ps1 -Tag Issue13

Runs the tests of issue 13's problems (tags Issue13.P1 to Issue13.P10) against another build of the module, e.g. the
commit the issue was filed at, to show they fail there.
#>
[CmdletBinding()]
param(
    [string[]]$Path = @($PSScriptRoot),

    [string]$ResultPath,

    # Only the tests with one of these tags (wildcards allowed), e.g. Issue13 or Issue13.P6.
    [string[]]$Tag,

    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string]$Verbosity = 'Normal'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# pwsh -File passes "a,b" as one string: split it.
$Path = @($Path -split ',' | Where-Object { $_ })

$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget' 'packages' }
$pesterManifest = Join-Path $packages 'pester' '5.7.1' 'tools' 'Pester.psd1'
if (-not (Test-Path -LiteralPath $pesterManifest)) {
    throw "Pester 5.7.1 is not in the NuGet cache ($pesterManifest): run scripts/install-deps.sh (or 'dotnet restore tests/pester/Pester.csproj')."
}
Import-Module $pesterManifest -Force

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.Exit = $false
$config.Run.PassThru = $true
$config.Output.Verbosity = $Verbosity
if ($Tag) {
    $config.Filter.Tag = @($Tag -split ',' | Where-Object { $_ })
}
if ($ResultPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultPath
}
# The module notes every server it starts in the user's server index (Get-SandboxServer in another shell finds them):
# the tests' servers go into an index of their own, removed at the end.
$stateDir = Join-Path ([System.IO.Path]::GetTempPath()) ("sandbox-pester-state-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$env:SANDBOX_STATE_DIR = $stateDir
try {
    $result = Invoke-Pester -Configuration $config
}
finally {
    Remove-Item -LiteralPath $stateDir -Recurse -Force -ErrorAction SilentlyContinue
}

# A file that failed in discovery or in BeforeAll counts as a failure even though none of its tests "failed".
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
"pester-result: passed=$($result.PassedCount) failed=$failed skipped=$($result.SkippedCount) notrun=$($result.NotRunCount)"
if ($failed -gt 0) {
    exit 1
}
exit 0
