# Shared set-up of the Pester tests (Pester 5, pwsh 7.4+): import the built module from out/Sandbox and run a
# private local server on a free port with a throw-away data directory. Dot-source it in a BeforeAll block.

$script:SandboxRepoRoot = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
# The module under test: out/Sandbox as built, or the manifest SANDBOX_TEST_MODULE names (to run the tests against another
# build, e.g. an older commit's: Run.ps1 -Tag Issue13 shows which tests that commit fails).
$script:SandboxTestManifest = if ($env:SANDBOX_TEST_MODULE) { $env:SANDBOX_TEST_MODULE } else { Join-Path $script:SandboxRepoRoot 'out/Sandbox/Sandbox.psd1' }

function Import-SandboxTestModule {
    $manifest = $script:SandboxTestManifest
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The module is not built: run 'dotnet build Sandbox.slnx' first ($manifest is missing)."
    }
    Import-Module $manifest -Force -ErrorAction Stop
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try {
        $listener.LocalEndpoint.Port
    }
    finally {
        $listener.Stop()
    }
}

function New-TestName {
    param(
        [string] $Prefix = 't'
    )
    '{0}-{1}' -f $Prefix, [guid]::NewGuid().ToString('N').Substring(0, 8)
}

# -DataPlanePort: also serve leap0's data plane there (give Get-FreeTcpPort, never a fixed port).
function Start-SandboxTestServer {
    param(
        [Nullable[int]] $DataPlanePort
    )
    Import-SandboxTestModule
    $dataDir = Join-Path ([System.IO.Path]::GetTempPath()) (New-TestName -Prefix 'sandbox-pester')
    $dataPlane = if ($null -ne $DataPlanePort) { @{ DataPlanePort = $DataPlanePort } } else { @{} }
    $server = Start-SandboxServer -Port (Get-FreeTcpPort) -DataDirectory $dataDir -TtlGranularity 1 @dataPlane -Confirm:$false -ErrorAction Stop
    $connection = Connect-Sandbox -Server $server -ErrorAction Stop
    [pscustomobject]@{
        Server = $server
        Connection = $connection
        DataDirectory = $dataDir
    }
}

function Stop-SandboxTestServer {
    param(
        $Context
    )
    if ($null -eq $Context) {
        return
    }
    Get-Sandbox -Connection $Context.Connection -ErrorAction SilentlyContinue |
        Remove-Sandbox -Force -Connection $Context.Connection -ErrorAction SilentlyContinue
    Disconnect-Sandbox -Connection $Context.Connection -ErrorAction SilentlyContinue
    Stop-SandboxServer -DataDirectory $Context.DataDirectory -Confirm:$false -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $Context.DataDirectory -Recurse -Force -ErrorAction SilentlyContinue
}

# Runs $Script in a fresh pwsh with nothing configured (no SANDBOX_ENDPOINT, keys or LangSmith variables), its default
# local server on port $Port with data directory $DataDirectory (SANDBOX_LOCAL_PORT, SANDBOX_DATA_DIR); returns its output.
function Invoke-UnconfiguredPwsh {
    param(
        [string] $Script,
        [int] $Port,
        [string] $DataDirectory
    )
    $saved = @{}
    foreach ($name in 'SANDBOX_ENDPOINT', 'SANDBOX_API_KEY', 'LANGSMITH_ENDPOINT', 'LANGSMITH_API_KEY', 'SANDBOX_LOCAL_PORT', 'SANDBOX_DATA_DIR') {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    try {
        $env:SANDBOX_LOCAL_PORT = "$Port"
        $env:SANDBOX_DATA_DIR = $DataDirectory
        pwsh -NoProfile -NonInteractive -Command $Script
    }
    finally {
        foreach ($name in $saved.Keys) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
    }
}
