# Pester 5: the module as users install it. Packages the module (build.ps1 -Task Package, this machine's runtime, into
# a throw-away folder), installs the .nupkg with Install-PSResource from a local repository into a fresh module path
# (a new pwsh with HOME and XDG_DATA_HOME in a throw-away folder: PSResourceGet installs CurrentUser modules under
# $HOME/.local/share/powershell/Modules and keeps its repository list under XDG_DATA_HOME), and runs the headline one-liner in a fresh pwsh process against a server that the
# installed module launched on a free port and a throw-away data directory. Also: the staged server starts with an
# empty environment (env -i: no dotnet on PATH, no DOTNET_ROOT; only HOME), and the package stays small. Everything it starts is stopped and removed after.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:rid = switch ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture) {
        'X64' { 'linux-x64' }
        'Arm64' { 'linux-arm64' }
        default { $null }
    }
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) (New-TestName -Prefix 'sandbox-package')
    $script:xdg = Join-Path $script:work 'home'
    $script:dataDir = Join-Path $script:work 'data'
    # pwsh as a dotnet global tool runs under the dotnet host, so this process's path is dotnet's: find pwsh itself.
    $script:pwsh = @((Get-Command -Name pwsh -CommandType Application -ErrorAction SilentlyContinue).Source) +
        (Join-Path $HOME '.dotnet' 'tools' 'pwsh') | Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1
    # It must exist: .NET answers "" for a LocalApplicationData folder that does not, and PSResourceGet then keeps its
    # repository list in the current directory.
    New-Item -ItemType Directory -Path (Join-Path $script:xdg '.local' 'share') -Force | Out-Null

    # Runs a script in a new pwsh whose home, module path and PSResourceGet settings live under $script:xdg.
    function Invoke-FreshPwsh([string]$Script) {
        $saved = $env:HOME, $env:XDG_DATA_HOME, $env:PSModulePath
        $env:HOME = $script:xdg
        $env:XDG_DATA_HOME = Join-Path $script:xdg '.local' 'share'
        $env:PSModulePath = $null
        try {
            $output = & $script:pwsh -NoProfile -NonInteractive -Command $Script 2>&1 | ForEach-Object { "$_" }
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output -join "`n" }
        }
        finally {
            $env:HOME, $env:XDG_DATA_HOME, $env:PSModulePath = $saved
        }
    }

    $build = & $script:pwsh -NoProfile -NonInteractive -File (Join-Path $script:SandboxRepoRoot 'build.ps1') -Task Package `
        -ServerRuntime $script:rid -OutputDirectory (Join-Path $script:work 'out') 2>&1 | ForEach-Object { "$_" }
    if ($LASTEXITCODE -ne 0) {
        throw "build.ps1 -Task Package failed:`n$(($build | Select-Object -Last 30) -join "`n")"
    }
    $script:nupkg = Get-ChildItem -Path (Join-Path $script:work 'out' 'packages') -Filter 'Sandbox.*.nupkg' | Select-Object -First 1
    $script:staged = Join-Path $script:work 'out' 'Sandbox'
}

AfterAll {
    if ($script:work -and (Test-Path -LiteralPath $script:work)) {
        # Whatever still runs from the throw-away folders (a failed test skipped its own clean-up).
        Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -Match '^\d+$' | ForEach-Object {
            $cmdline = Get-Content -LiteralPath (Join-Path $_.FullName 'cmdline') -Raw -ErrorAction SilentlyContinue
            if ($cmdline -and $cmdline.Contains($script:work) -and [int]$_.Name -ne $PID) {
                Stop-Process -Id ([int]$_.Name) -Force -ErrorAction SilentlyContinue
            }
        }
        Start-Sleep -Milliseconds 500
        # Mounts a killed server left (its sandboxes' loop-mounted filesystems), deepest first.
        $prefix = $script:work.TrimEnd('/') + '/'
        Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_.StartsWith($prefix) } |
            Sort-Object -Property Length -Descending -Unique | ForEach-Object { & umount -l $_ 2>$null }
        Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'The Sandbox package' {
    It 'is a .nupkg with the self-contained server for this runtime and no other platform''s native libraries' {
        $script:nupkg | Should -Not -BeNullOrEmpty
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($script:nupkg.FullName)
        try {
            $names = @($zip.Entries | ForEach-Object FullName)
        }
        finally {
            $zip.Dispose()
        }
        $names | Should -Contain 'Sandbox.psd1'
        $names | Should -Contain 'LICENSE'
        $names | Should -Contain 'en-US/about_Sandbox.help.txt'
        # The server is one trimmed, compressed, self-contained file (runtime and SQLite inside) beside sandbox-init.
        @($names | Where-Object { $_ -like 'server/*' } | Sort-Object) |
            Should -Be (@("server/$($script:rid)/Sandbox.Server", "server/$($script:rid)/sandbox-init") | Sort-Object)
    }

    It 'stays small: one runtime''s server and the module under 20 MB' {
        # Both runtimes together (build.ps1's default) are about 35 MB installed; an untrimmed server alone is 110 MB.
        $bytes = (Get-ChildItem -LiteralPath $script:staged -Recurse -File | Measure-Object -Property Length -Sum).Sum
        $bytes | Should -BeLessThan 20MB
    }

    It 'installs with Install-PSResource from a local repository into a fresh module path' {
        $result = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name SandboxTest -Uri '$($script:nupkg.DirectoryName)' -Trusted
Install-PSResource -Name Sandbox -Repository SandboxTest -Scope CurrentUser -Quiet
(Get-Module -ListAvailable -Name Sandbox).ModuleBase
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $script:installed = ($result.Output -split "`n")[-1].Trim()
        $script:installed | Should -BeLike "$($script:xdg)*"
        Join-Path $script:installed 'server' $script:rid 'Sandbox.Server' | Should -Exist
    }

    It 'runs the headline one-liner in a fresh pwsh against a server the installed module launched' {
        $script:installed | Should -Not -BeNullOrEmpty
        $port = Get-FreeTcpPort
        $result = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module Sandbox
'module=' + (Get-Module Sandbox).ModuleBase
`$server = Start-SandboxServer -Port $port -DataDirectory '$($script:dataDir)' -Confirm:`$false
'server=' + `$server.ServerPath
Connect-Sandbox -Server `$server | Out-Null
try {
    `$out = New-Sandbox -Template python | Invoke-SandboxCommand 'python --version'
    'stdout=' + `$out.Stdout.Trim()
    'exit=' + `$out.ExitCode
}
finally {
    Get-Sandbox | Remove-Sandbox -Force
    Stop-SandboxServer -DataDirectory '$($script:dataDir)' -Confirm:`$false | Out-Null
}
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match ('module=' + [regex]::Escape($script:installed))
        $result.Output | Should -Match ('server=' + [regex]::Escape((Join-Path $script:installed 'server' $script:rid 'Sandbox.Server')))
        $result.Output | Should -Match 'stdout=Python 3\.'
        $result.Output | Should -Match 'exit=0'
        # The module gave the installed executables back the execute bits the package does not keep.
        foreach ($name in 'Sandbox.Server', 'sandbox-init') {
            (Get-Item (Join-Path $script:installed 'server' $script:rid $name)).UnixFileMode.HasFlag([System.IO.UnixFileMode]::UserExecute) | Should -BeTrue
        }
        # Nothing left behind: the server ended, and no sandbox directory remains.
        Start-Sleep -Milliseconds 200
        @(Get-ChildItem -Path (Join-Path $script:dataDir 'boxes') -Directory -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }

    It 'has a staged server that starts with an empty environment (no dotnet on PATH, no DOTNET_ROOT)' {
        $server = Join-Path $script:staged 'server' $script:rid 'Sandbox.Server'
        $port = Get-FreeTcpPort
        $dir = Join-Path $script:work 'envi'
        $log = Join-Path $script:work 'envi.log'
        # HOME only: where the single-file server unpacks its SQLite library (~/.net), kept inside the throw-away folder.
        New-Item -ItemType Directory -Path (Join-Path $script:work 'envi-home') -Force | Out-Null
        $process = Start-Process -FilePath '/usr/bin/env' -ArgumentList @('-i', "HOME=$(Join-Path $script:work 'envi-home')", $server, '--listen', "127.0.0.1:$port", '--data-dir', $dir) `
            -RedirectStandardOutput $log -RedirectStandardError "$log.err" -PassThru
        try {
            $healthy = $false
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not $healthy -and [datetime]::UtcNow -lt $deadline -and -not $process.HasExited) {
                try {
                    $healthy = (Invoke-WebRequest -Uri "http://127.0.0.1:$port/healthz" -TimeoutSec 2 -SkipHttpErrorCheck).StatusCode -eq 200
                }
                catch {
                    Start-Sleep -Milliseconds 200
                }
            }
            $healthy | Should -BeTrue -Because ((Get-Content -Raw $log, "$log.err" -ErrorAction SilentlyContinue) -join "`n")
            $key = (Get-Content -Raw (Join-Path $dir 'api-key')).Trim()
            $templates = Invoke-RestMethod -Uri "http://127.0.0.1:$port/v2/sandboxes/templates" -Headers @{ 'X-Api-Key' = $key }
            $templates | Should -Not -BeNullOrEmpty
        }
        finally {
            if (-not $process.HasExited) {
                # SIGTERM, so that the server ends its warm launchers and unmounts their filesystems.
                & /bin/kill -TERM $process.Id
                if (-not $process.WaitForExit(30000)) { Stop-Process -Id $process.Id -Force }
            }
        }
    }
}
