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

    It 'lists a server started with -DataDirectory from another shell too' {
        $manifest = "$script:SandboxRepoRoot/out/Sandbox/Sandbox.psd1"
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
