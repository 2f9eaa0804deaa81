# Pester 5 tests of Start-SandboxServer against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Start-SandboxServer' {
    It 'started the test server' {
        $script:ctx.Server | Should -BeOfType ([Sandbox.Module.Support.LocalServerInfo])
        $script:ctx.Server.Status | Should -Be 'Running'
        $script:ctx.Server.ProcessId | Should -BeGreaterThan 0
        Test-Path -LiteralPath $script:ctx.Server.ApiKeyFile | Should -BeTrue
    }

    It 'answers /healthz' {
        (Invoke-RestMethod "$($script:ctx.Server.Endpoint)/healthz").status | Should -Be 'ok'
    }

    It 'returns the running server with a warning when it already runs' {
        $again = Start-SandboxServer -DataDirectory $script:ctx.DataDirectory -Port ([uri]$script:ctx.Server.Endpoint).Port -WarningVariable warn -WarningAction SilentlyContinue
        $again.ProcessId | Should -Be $script:ctx.Server.ProcessId
        $warn | Should -Not -BeNullOrEmpty
    }

    It 'picks a free port with -Port 0' {
        $dir = Join-Path $TestDrive 'port0'
        $server = Start-SandboxServer -Port 0 -DataDirectory $dir
        try {
            $server.Endpoint | Should -Match '^http://127\.0\.0\.1:\d+$'
            $server.Endpoint | Should -Not -Match ':0$'
        }
        finally {
            $server | Stop-SandboxServer -Confirm:$false
        }
    }

    It 'runs without a data plane unless -DataPlanePort is given' {
        $script:ctx.Server.DataPlaneDomain | Should -BeNullOrEmpty
        $script:ctx.Server.DataPlaneCertificateAuthority | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $script:ctx.DataDirectory 'data-plane.json') | Should -BeFalse
    }

    It 'serves the data plane on a free port with -DataPlanePort 0, reported by Start- and Get-SandboxServer' {
        $dir = Join-Path $TestDrive 'dataplane0'
        $server = Start-SandboxServer -Port 0 -DataPlanePort 0 -DataDirectory $dir -Confirm:$false
        try {
            $server.DataPlaneDomain | Should -Match '^sandbox\.localhost:\d+$'
            $server.DataPlaneDomain | Should -Not -Match ':0$'
            $server.DataPlaneCertificateAuthority | Should -Be (Join-Path $server.DataDirectory 'tls/ca.crt')
            Get-Content -LiteralPath $server.DataPlaneCertificateAuthority -Raw | Should -Match 'BEGIN CERTIFICATE'
            $found = Get-SandboxServer -DataDirectory $dir
            $found.DataPlaneDomain | Should -Be $server.DataPlaneDomain
            $found.DataPlaneCertificateAuthority | Should -Be $server.DataPlaneCertificateAuthority
            ($found | Format-Table | Out-String -Width 250) | Should -Match "DataPlane[\s\S]*$([regex]::Escape($server.DataPlaneDomain))"
            Get-Content -LiteralPath $server.LogFile -Raw | Should -Match "data plane on https://\*\.$([regex]::Escape($server.DataPlaneDomain))"

            # A malformed data-plane.json is no data plane (with a verbose line), not a failure.
            Set-Content -LiteralPath (Join-Path $dir 'data-plane.json') -Value '{"domain": 42'
            $verbose = Get-SandboxServer -DataDirectory $dir -Verbose 4>&1
            $info = $verbose | Where-Object { $_ -is [Sandbox.Module.Support.LocalServerInfo] }
            $info.Status | Should -Be 'Running'
            $info.DataPlaneDomain | Should -BeNullOrEmpty
            ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match 'data-plane\.json is not JSON'
        }
        finally {
            $server | Stop-SandboxServer -Confirm:$false
        }
        (Get-SandboxServer -DataDirectory $dir).DataPlaneDomain | Should -BeNullOrEmpty
    }

    It 'connects a server object kept from before a restart to the data plane the server has now' {
        $dir = Join-Path $TestDrive 'dataplane-restart'
        $first, $second = (Get-FreeTcpPort), (Get-FreeTcpPort)
        while ($second -eq $first) { $second = Get-FreeTcpPort }
        $kept = Start-SandboxServer -Port 0 -DataPlanePort $first -DataDirectory $dir -Confirm:$false
        try {
            $kept | Stop-SandboxServer -Confirm:$false
            $now = Start-SandboxServer -Port ([uri]$kept.Endpoint).Port -DataPlanePort $second -DataDirectory $dir -Confirm:$false
            $connection = Connect-Sandbox -Server $kept -Provider Leap0
            $connection.SandboxDomain | Should -Be "sandbox.localhost:$second"
            $now.DataPlaneDomain | Should -Be "sandbox.localhost:$second"
        }
        finally {
            Stop-SandboxServer -DataDirectory $dir -Confirm:$false -ErrorAction SilentlyContinue
            $script:ctx.Server | Connect-Sandbox | Out-Null
        }
    }

    It 'refuses a -DataPlanePort out of range or equal to -Port, naming the parameter' {
        { Start-SandboxServer -Port 0 -DataPlanePort 65536 -DataDirectory (Join-Path $TestDrive 'bad') -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "*'DataPlanePort'*65535*"
        { Start-SandboxServer -Port 0 -DataPlanePort -1 -DataDirectory (Join-Path $TestDrive 'bad') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,SandboxModule.StartSandboxServerCommand'
        $port = Get-FreeTcpPort
        { Start-SandboxServer -Port $port -DataPlanePort $port -DataDirectory (Join-Path $TestDrive 'bad') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidDataPlanePort,SandboxModule.StartSandboxServerCommand'
        Test-Path -LiteralPath (Join-Path $TestDrive 'bad') | Should -BeFalse
    }

    It 'stops by itself after -IdleShutdown and leaves Get-SandboxServer' -Tag 'Issue13', 'Issue13.P6' {
        $dir = Join-Path $TestDrive 'idle'
        $server = Start-SandboxServer -Port 0 -DataDirectory $dir -IdleShutdown 2s -Confirm:$false
        try {
            $server.IdleShutdown | Should -Be ([timespan]::FromSeconds(2))
            (Get-SandboxServer).DataDirectory | Should -Contain $server.DataDirectory
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while ((Get-SandboxServer).DataDirectory -contains $server.DataDirectory -and [datetime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 500
            }
            (Get-SandboxServer).DataDirectory | Should -Not -Contain $server.DataDirectory
            (Get-SandboxServer -DataDirectory $dir).Status | Should -Be 'Stopped'
            Test-Path -LiteralPath (Join-Path $dir 'module-server.json') | Should -BeFalse
            Get-Process -Id $server.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Get-Content -LiteralPath $server.LogFile -Raw | Should -Match 'idle-shutdown 2s'
        }
        finally {
            Stop-SandboxServer -DataDirectory $dir -Confirm:$false -ErrorAction SilentlyContinue
        }
    }

    It 'refuses a bad -IdleShutdown naming the parameter' {
        { Start-SandboxServer -Port 0 -DataDirectory (Join-Path $TestDrive 'bad') -IdleShutdown 'soon' -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*IdleShutdown*not a duration*'
        { Start-SandboxServer -Port 0 -DataDirectory (Join-Path $TestDrive 'bad') -IdleShutdown ([timespan]::FromMilliseconds(500)) -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidIdleShutdown,SandboxModule.StartSandboxServerCommand'
        { Start-SandboxServer -Port 0 -DataDirectory (Join-Path $TestDrive 'bad') -IdleShutdown '31d' -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*-IdleShutdown takes whole seconds from 1 s to 30 d*'
    }

    It 'reports a missing server as SandboxServerNotFound' {
        { Start-SandboxServer -Port 0 -DataDirectory (Join-Path $TestDrive 'none') -ServerPath (Join-Path $TestDrive 'nope.dll') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxServerNotFound,SandboxModule.StartSandboxServerCommand'
    }
}
