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
