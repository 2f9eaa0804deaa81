# Pester 5 tests of Get-SandboxConnection against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxConnection' {
    It 'returns the default connection' {
        $connection = $script:ctx.Server | Connect-Sandbox
        $current = Get-SandboxConnection
        $current | Should -BeOfType ([SandboxModule.SandboxConnection])
        $current.Endpoint | Should -Be $connection.Endpoint
        $current.IsDefault | Should -BeTrue
    }

    It 'has a table view' {
        (Get-SandboxConnection | Format-Table | Out-String) | Should -Match 'Endpoint'
    }
}
