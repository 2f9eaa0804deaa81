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

    It 'reports a missing server as SandboxServerNotFound' {
        { Start-SandboxServer -Port 0 -DataDirectory (Join-Path $TestDrive 'none') -ServerPath (Join-Path $TestDrive 'nope.dll') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxServerNotFound,SandboxModule.StartSandboxServerCommand'
    }
}
