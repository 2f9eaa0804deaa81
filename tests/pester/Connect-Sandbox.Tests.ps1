# Pester 5 tests of Connect-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Connect-Sandbox' {
    It 'connects to a server object from the pipeline and makes it the default' {
        $connection = $script:ctx.Server | Connect-Sandbox
        $connection | Should -BeOfType ([SandboxModule.SandboxConnection])
        $connection.Endpoint | Should -Be $script:ctx.Server.Endpoint
        $connection.IsDefault | Should -BeTrue
        $connection.HasApiKey | Should -BeTrue
        (Get-SandboxConnection).Endpoint | Should -Be $script:ctx.Server.Endpoint
    }

    It 'connects with -Endpoint and a SecureString -ApiKey' {
        $key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim() | ConvertTo-SecureString -AsPlainText -Force
        $connection = Connect-Sandbox -Endpoint $script:ctx.Server.Endpoint -ApiKey $key
        $connection.ApiKeySource | Should -Be 'Explicit'
        Get-SandboxTemplate -Name base -Connection $connection | Should -Not -BeNullOrEmpty
    }

    It 'never shows the API key' {
        $key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim()
        $connection = $script:ctx.Server | Connect-Sandbox
        ($connection | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($key))
    }

    It 'reports a wrong key as a non-terminating authentication error' {
        $bad = 'not-the-key' | ConvertTo-SecureString -AsPlainText -Force
        $result = Connect-Sandbox -Endpoint $script:ctx.Server.Endpoint -ApiKey $bad -ErrorAction SilentlyContinue -ErrorVariable err
        $result | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxAccessDenied,SandboxModule.ConnectSandboxCommand'
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    It 'reports a refused connection as SandboxConnectionFailed' {
        $port = Get-FreeTcpPort
        { Connect-Sandbox -Endpoint "http://127.0.0.1:$port" -ApiKey ('x' | ConvertTo-SecureString -AsPlainText -Force) -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxConnectionFailed,SandboxModule.ConnectSandboxCommand'
    }

    It 'keeps the default per runspace' {
        $script:ctx.Server | Connect-Sandbox | Out-Null
        $inJob = Start-ThreadJob { Import-Module $using:script:SandboxRepoRoot/out/Sandbox/Sandbox.psd1; (Get-SandboxConnection).IsDefault } | Receive-Job -Wait -AutoRemoveJob
        $inJob | Should -BeFalse
    }
}
