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

    Context 'with no default connection' {
        BeforeAll {
            $script:saved = @{ Endpoint = $env:SANDBOX_ENDPOINT; Key = $env:SANDBOX_API_KEY }
            $script:key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim()
        }
        BeforeEach {
            # Leaves the configuration chain in charge: a fresh default, closed (the file's own connection stays open).
            $script:ctx.Server | Connect-Sandbox | Disconnect-Sandbox
        }
        AfterAll {
            $env:SANDBOX_ENDPOINT = $script:saved.Endpoint
            $env:SANDBOX_API_KEY = $script:saved.Key
            $script:ctx.Server | Connect-Sandbox | Out-Null
        }

        It 'reports where the endpoint and key came from' {
            $env:SANDBOX_ENDPOINT = $script:ctx.Server.Endpoint
            $env:SANDBOX_API_KEY = $script:key
            $current = Get-SandboxConnection
            $current.EndpointSource | Should -Be 'SandboxEnvironment'
            $current.ApiKeySource | Should -Be 'SandboxEnvironment'
            $current.IsDefault | Should -BeFalse
        }

        It 'follows SANDBOX_ENDPOINT when it changes during the session' -Tag 'Issue13', 'Issue13.P3' {
            $env:SANDBOX_ENDPOINT = $script:ctx.Server.Endpoint
            $env:SANDBOX_API_KEY = $script:key
            Get-SandboxTemplate -Name base | Should -Not -BeNullOrEmpty
            $refused = "http://127.0.0.1:$(Get-FreeTcpPort)"
            $env:SANDBOX_ENDPOINT = $refused
            (Get-SandboxConnection).Endpoint | Should -Be $refused
            { Get-SandboxTemplate -Name base -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxConnectionFailed,SandboxModule.GetSandboxTemplateCommand'
            $env:SANDBOX_ENDPOINT = $script:ctx.Server.Endpoint
            Get-SandboxTemplate -Name base | Should -Not -BeNullOrEmpty
        }

        It 'follows SANDBOX_API_KEY when it changes during the session' -Tag 'Issue13', 'Issue13.P3' {
            $env:SANDBOX_ENDPOINT = $script:ctx.Server.Endpoint
            $env:SANDBOX_API_KEY = 'not-the-key'
            { Get-SandboxTemplate -Name base -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxAccessDenied,SandboxModule.GetSandboxTemplateCommand'
            $env:SANDBOX_API_KEY = $script:key
            Get-SandboxTemplate -Name base | Should -Not -BeNullOrEmpty
        }
    }

    It 'has a table view' {
        (Get-SandboxConnection | Format-Table | Out-String) | Should -Match 'Endpoint'
    }
}
