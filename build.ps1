#Requires -Version 7.0
<#
.SYNOPSIS
Builds, tests and packages the Sandbox PowerShell module.

.DESCRIPTION
The PowerShell front door to the same steps CI runs with plain dotnet:

  Build    dotnet build Sandbox.slnx; src/SandboxModule/Module.targets stages the module in out/Sandbox
           (manifest, DLLs, format file, en-US MAML help made from docs/cmdlets, the local server).
  Test     Build, then dotnet test Sandbox.slnx, then the Pester suite (tests/pester/Run.ps1, Pester 5.7.1 from
           the NuGet cache: scripts/install-deps.sh puts it there). scripts/test.sh is the same for CI.
  Package  Stages out/Sandbox with the server for linux-x64 and linux-arm64 (self-contained; sandbox-init for
           arm64 needs gcc-aarch64-linux-gnu), then the PowerShell Gallery package (.nupkg) of out/Sandbox in
           out/packages, published to a file-based repository registered for the occasion (Compress-Archive
           when no publishing module is installed). Install it with Register-PSResourceRepository -Uri
           out/packages -Trusted and Install-PSResource Sandbox.

.EXAMPLE
./build.ps1

.EXAMPLE
./build.ps1 -Task Test -Configuration Debug

.EXAMPLE
./build.ps1 -Task Package
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Package')]
    [string]$Task = 'Build',

    [string]$Configuration = 'Release',

    # The runtimes the packaged server is published for (self-contained).
    [string[]]$ServerRuntime = @('linux-x64', 'linux-arm64'),

    # Where Package stages the module (<dir>/Sandbox) and writes the package (<dir>/packages); out by default.
    [string]$OutputDirectory
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$RepoRoot = $PSScriptRoot
$Solution = Join-Path $RepoRoot 'Sandbox.slnx'
$OutRoot = if ($OutputDirectory) { [System.IO.Path]::GetFullPath($OutputDirectory, (Get-Location).ProviderPath) } else { Join-Path $RepoRoot 'out' }
$StageDir = Join-Path $OutRoot 'Sandbox'
$PackageDir = Join-Path $OutRoot 'packages'
$ModuleName = 'Sandbox'

function Invoke-Native {
    # Runs a native command and stops the build when it fails (native exit codes do not throw by themselves).
    param(
        [Parameter(Mandatory)]
        [string]$FilePath,

        [string[]]$ArgumentList = @()
    )
    Write-Host "+ $FilePath $($ArgumentList -join ' ')" -ForegroundColor DarkGray
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-BuildTask {
    Invoke-Native -FilePath 'dotnet' -ArgumentList @('build', $Solution, '-c', $Configuration, '-nologo')
    $manifest = Join-Path $StageDir "$ModuleName.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The build did not stage the module: $manifest is missing."
    }
    Write-Host "Module staged in $StageDir" -ForegroundColor Green
}

function Invoke-TestTask {
    Invoke-BuildTask
    Invoke-Native -FilePath 'dotnet' -ArgumentList @('test', $Solution, '-c', $Configuration, '--no-build', '-nologo')

    $resultPath = Join-Path $RepoRoot 'out' 'pester-results.xml'
    & (Join-Path $RepoRoot 'tests' 'pester' 'Run.ps1') -ResultPath $resultPath -Verbosity Detailed
    if ($LASTEXITCODE -ne 0) {
        throw "The Pester suite failed (results in $resultPath)."
    }
}

function New-FallbackPackage {
    # A .nupkg is a zip file with a .nuspec; without PowerShellGet/PSResourceGet this makes one by hand.
    param(
        [Parameter(Mandatory)]
        [hashtable]$Manifest
    )
    $version = $Manifest.ModuleVersion
    $psData = $Manifest.PrivateData.PSData
    $work = Join-Path ([System.IO.Path]::GetTempPath()) "sandbox-package-$PID"
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    Copy-Item -LiteralPath $StageDir -Destination $work -Recurse

    $escape = { param($text) [System.Security.SecurityElement]::Escape([string]$text) }
    $nuspec = @(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">'
        '  <metadata>'
        "    <id>$ModuleName</id>"
        "    <version>$version</version>"
        "    <authors>$(& $escape $Manifest.Author)</authors>"
        "    <description>$(& $escape $Manifest.Description)</description>"
        "    <projectUrl>$(& $escape $psData.ProjectUri)</projectUrl>"
        "    <licenseUrl>$(& $escape $psData.LicenseUri)</licenseUrl>"
        "    <tags>$(& $escape ((@($psData.Tags) + 'PSModule') -join ' '))</tags>"
        '  </metadata>'
        '</package>'
    )
    Set-Content -LiteralPath (Join-Path $work "$ModuleName.nuspec") -Value $nuspec -Encoding utf8

    $zip = Join-Path $PackageDir "$ModuleName.$version.zip"
    $nupkg = Join-Path $PackageDir "$ModuleName.$version.nupkg"
    Remove-Item -LiteralPath $zip, $nupkg -Force -ErrorAction SilentlyContinue
    Compress-Archive -Path (Join-Path $work '*') -DestinationPath $zip
    Move-Item -LiteralPath $zip -Destination $nupkg
    Remove-Item -LiteralPath $work -Recurse -Force
    Write-Warning ("Neither PSResourceGet nor PowerShellGet is installed: $nupkg was made with Compress-Archive. " +
        'It holds the module and a .nuspec but not the parts Publish-Module adds; publish to the Gallery from a machine with PowerShellGet.')
    return $nupkg
}

function Invoke-PackageTask {
    # -File passes "linux-x64,linux-arm64" (or several words) as text: accept commas and spaces too.
    $ServerRuntime = @($ServerRuntime -split '[,\s]+' | Where-Object { $_ })
    # Only the module and what it stages (not the tests): the server for every runtime of the package.
    Invoke-Native -FilePath 'dotnet' -ArgumentList @('restore', $Solution, '-nologo')
    $runtimes = ($ServerRuntime -join '%3B')
    Invoke-Native -FilePath 'dotnet' -ArgumentList @('build', (Join-Path $RepoRoot 'src' 'SandboxModule' 'SandboxModule.csproj'),
        '-c', $Configuration, '-nologo', '--no-restore', "-p:SandboxServerRuntimes=$runtimes", "-p:SandboxStageDir=$StageDir/")
    foreach ($runtime in $ServerRuntime) {
        $server = Join-Path $StageDir 'server' $runtime 'Sandbox.Server'
        if (-not (Test-Path -LiteralPath $server)) {
            throw "The build did not stage the server for ${runtime}: $server is missing."
        }
    }
    # A stale runtime folder (staged by an earlier build with other runtimes) must not ship.
    Get-ChildItem -LiteralPath (Join-Path $StageDir 'server') -Directory |
        Where-Object { $_.Name -notin $ServerRuntime } |
        Remove-Item -Recurse -Force
    $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $StageDir "$ModuleName.psd1")
    $version = $manifest.ModuleVersion
    New-Item -ItemType Directory -Path $PackageDir -Force | Out-Null
    Get-ChildItem -LiteralPath $PackageDir -File |
        Where-Object { $_.Name -like "$ModuleName.$version.nupkg" } |
        Remove-Item -Force

    $repository = "SandboxBuild$PID"
    if (Get-Command -Name Publish-PSResource -ErrorAction SilentlyContinue) {
        Register-PSResourceRepository -Name $repository -Uri $PackageDir -Trusted
        try {
            Publish-PSResource -Path $StageDir -Repository $repository
        }
        finally {
            Unregister-PSResourceRepository -Name $repository
        }
    }
    elseif (Get-Command -Name Publish-Module -ErrorAction SilentlyContinue) {
        Register-PSRepository -Name $repository -SourceLocation $PackageDir -PublishLocation $PackageDir -InstallationPolicy Trusted
        try {
            Publish-Module -Path $StageDir -Repository $repository -NuGetApiKey 'local-file-repository'
        }
        finally {
            Unregister-PSRepository -Name $repository
        }
    }
    else {
        New-FallbackPackage -Manifest $manifest | Out-Null
    }

    # -like is case-insensitive: PowerShellGet and PSResourceGet do not agree on the file name's case.
    $package = Get-ChildItem -LiteralPath $PackageDir -File |
        Where-Object { $_.Name -like "$ModuleName.$version.nupkg" } |
        Select-Object -First 1
    if (-not $package) {
        throw "No $ModuleName.$version.nupkg was written to $PackageDir."
    }
    Write-Host "Package: $($package.FullName)" -ForegroundColor Green
}

Push-Location -LiteralPath $RepoRoot
try {
    switch ($Task) {
        'Build' {
            Invoke-BuildTask
        }
        'Test' {
            Invoke-TestTask
        }
        'Package' {
            Invoke-PackageTask
        }
    }
}
finally {
    Pop-Location
}
