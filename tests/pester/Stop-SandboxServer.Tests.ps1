# Pester 5 tests of Stop-SandboxServer against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Stop-SandboxServer' {
    It 'stops a server it started' {
        $server = Start-SandboxServer -Port 0 -DataDirectory (Join-Path $TestDrive 'stop')
        $stopped = $server | Stop-SandboxServer -Confirm:$false -PassThru
        $stopped.Status | Should -Be 'Stopped'
        (Get-SandboxServer -DataDirectory $server.DataDirectory).Status | Should -Be 'Stopped'
    }

    It 'does nothing with -WhatIf' {
        Stop-SandboxServer -DataDirectory $script:ctx.DataDirectory -WhatIf
        (Get-SandboxServer -DataDirectory $script:ctx.DataDirectory).Status | Should -Be 'Running'
    }

    It 'reports a data directory without a server as SandboxServerNotRunning' {
        { Stop-SandboxServer -DataDirectory (Join-Path $TestDrive 'empty') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxServerNotRunning,SandboxModule.StopSandboxServerCommand'
    }
}
