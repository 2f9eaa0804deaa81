# Pester 5 tests of Get-SandboxServer against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxServer' {
    It 'reports the test server as running' {
        $server = Get-SandboxServer -DataDirectory $script:ctx.DataDirectory
        $server | Should -BeOfType ([Sandbox.Module.Support.LocalServerInfo])
        $server.Status | Should -Be 'Running'
        $server.Endpoint | Should -Be $script:ctx.Server.Endpoint
        $server.StartedByModule | Should -BeTrue
    }

    It 'lists the servers started in this session by default' {
        (Get-SandboxServer).DataDirectory | Should -Contain $script:ctx.DataDirectory
    }

    It 'lists a server started with -DataDirectory from another shell too' -Tag 'Issue13', 'Issue13.P8' {
        $manifest = $script:SandboxTestManifest
        $listed = pwsh -NoProfile -NonInteractive -Command "Import-Module '$manifest'; (Get-SandboxServer | Where-Object Status -eq Running).DataDirectory"
        $LASTEXITCODE | Should -Be 0
        $listed | Should -Contain $script:ctx.DataDirectory
    }

    It 'reports an empty data directory as stopped' {
        (Get-SandboxServer -DataDirectory (Join-Path $TestDrive 'none')).Status | Should -Be 'Stopped'
    }

    It 'has a table view' {
        (Get-SandboxServer -DataDirectory $script:ctx.DataDirectory | Format-Table | Out-String) | Should -Match 'Endpoint'
    }
}

Describe 'The server the module starts by itself' {
    BeforeAll {
        # Runs $Body in a fresh shell with nothing configured and the module imported: its default local server on a free
        # port with a throw-away data directory ($env:SANDBOX_DATA_DIR there), stopped and removed afterwards. The body can
        # call Stop-FromOutside $server: a TERM to the server's process (as its idle shutdown or another shell would), waiting
        # until the module sees it stopped.
        function Invoke-WithDefaultServer([string] $Body) {
            $dir = Join-Path ([System.IO.Path]::GetTempPath()) (New-TestName -Prefix 'sandbox-pester-auto')
            $prelude = @'
function Stop-FromOutside($server) {
    /bin/kill -TERM $server.ProcessId
    $deadline = [datetime]::UtcNow.AddSeconds(30)
    while ((Get-SandboxServer -DataDirectory $env:SANDBOX_DATA_DIR).Status -ne 'Stopped' -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
}
'@
            $script = "Import-Module '$script:SandboxTestManifest'`n$prelude`n$Body`nStop-SandboxServer -DataDirectory `$env:SANDBOX_DATA_DIR -Confirm:`$false"
            try {
                Invoke-UnconfiguredPwsh -Script $script -Port (Get-FreeTcpPort) -DataDirectory $dir
            }
            finally {
                Stop-SandboxServer -DataDirectory $dir -Confirm:$false -ErrorAction SilentlyContinue
                Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
            }
        }
    }

    It 'has a 30 minute idle shutdown, and is started again when it went away' -Tag 'Issue13', 'Issue13.P6' {
        $out = Invoke-WithDefaultServer @'
Get-Sandbox -ErrorAction Stop 6>$null | Out-Null
$first = Get-SandboxServer -DataDirectory $env:SANDBOX_DATA_DIR
'idle=' + $first.IdleShutdown.TotalMinutes
Stop-FromOutside $first
Get-Sandbox -ErrorAction Stop 6>$null | Out-Null
$second = Get-SandboxServer -DataDirectory $env:SANDBOX_DATA_DIR
'again=' + $second.Status + ',' + ($second.ProcessId -ne $first.ProcessId)
'@
        $out | Should -Contain 'idle=30'
        $out | Should -Contain 'again=Running,True'
    }

    It 'says once which server and data directory it uses, on the information stream, and reports them as the local server' -Tag 'Issue13', 'Issue13.P6' {
        $out = Invoke-WithDefaultServer @'
Get-Sandbox -ErrorAction Stop -InformationVariable first | Out-Null
Get-Sandbox -ErrorAction Stop -InformationVariable second | Out-Null
'dir=' + $env:SANDBOX_DATA_DIR
'first=' + ($first.MessageData -join '|')
'second=' + $second.Count
$connection = Get-SandboxConnection
'source=' + $connection.EndpointSource + ',' + $connection.ApiKeySource + ',' + $connection.IsLocalServer
'@
        $dir = ($out | Where-Object { $_ -like 'dir=*' }).Substring(4)
        ($out | Where-Object { $_ -like 'first=*' }) | Should -BeLike "first=Using the local sandbox server at http://127.0.0.1:*(data directory $dir)*Stop-SandboxServer*"
        $out | Should -Contain 'second=0'
        $out | Should -Contain 'source=LocalServer,LocalServer,True'
    }

    It 'is started again for a Connect-Sandbox -Local connection made before it went away' -Tag 'Issue13', 'Issue13.P6' {
        $out = Invoke-WithDefaultServer @'
$connection = Connect-Sandbox -Local -ErrorAction Stop
$first = Get-SandboxServer -DataDirectory $env:SANDBOX_DATA_DIR
Stop-FromOutside $first
'listed=' + @(Get-Sandbox -ErrorAction Stop).Count
$second = Get-SandboxServer -DataDirectory $env:SANDBOX_DATA_DIR
'again=' + $second.Status + ',' + ($second.ProcessId -ne $first.ProcessId) + ',' + (Get-SandboxConnection).Equals($connection)
'@
        $out | Should -Contain 'listed=0'
        $out | Should -Contain 'again=Running,True,True'
    }
}

Describe 'A connection to a local server of another data directory that went away' {
    BeforeAll {
        $script:gone = Start-SandboxTestServer
        Stop-SandboxServer -DataDirectory $script:gone.DataDirectory -Confirm:$false
    }

    AfterAll {
        # Stop-SandboxTestServer would list its sandboxes through the gone server: there are none, only the directory is left.
        Disconnect-Sandbox -Connection $script:gone.Connection
        Remove-Item -LiteralPath $script:gone.DataDirectory -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'names the server and how to start it again, instead of connection refused' {
        $err = { Get-Sandbox -Connection $script:gone.Connection -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -BeLike 'SandboxServerNotRunning,*'
        $err.Exception.Message | Should -BeLike "*$($script:gone.DataDirectory)*no longer runs*Start-SandboxServer -DataDirectory*"
    }
}
