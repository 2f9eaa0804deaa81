# Pester 5 tests of Disconnect-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Disconnect-Sandbox' {
    It 'closes the default connection and returns it with -PassThru' {
        $connection = $script:ctx.Server | Connect-Sandbox
        $closed = Disconnect-Sandbox -PassThru
        $closed.Endpoint | Should -Be $connection.Endpoint
        $closed.IsOpen | Should -BeFalse
    }

    It 'makes a closed connection unusable' {
        $connection = $script:ctx.Server | Connect-Sandbox
        Disconnect-Sandbox -Connection $connection
        { Get-Sandbox -Connection $connection -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxConnectionClosed,SandboxModule.GetSandboxCommand'
    }

    It 'takes a connection from the pipeline' {
        $connection = $script:ctx.Server | Connect-Sandbox
        $connection | Disconnect-Sandbox
        $connection.IsOpen | Should -BeFalse
    }

    AfterAll {
        $script:ctx.Connection = $script:ctx.Server | Connect-Sandbox
    }
}
