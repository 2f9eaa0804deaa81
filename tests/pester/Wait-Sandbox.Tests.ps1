# Pester 5 tests of Wait-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Wait-Sandbox' {
    It 'waits for a sandbox created with -NoWait' {
        $ready = New-Sandbox -Template base -NoWait | Wait-Sandbox -PassThru -TimeoutSec 120
        $ready.Status | Should -Be 'ready'
    }

    It 'returns nothing without -PassThru' {
        $sandbox = New-Sandbox -Template base
        Wait-Sandbox -Name $sandbox.Name | Should -BeNullOrEmpty
    }

    It 'reports a stopped sandbox as SandboxNotReady instead of waiting' {
        $sandbox = New-Sandbox -Template base
        Stop-Sandbox -Name $sandbox.Name
        { Wait-Sandbox -Name $sandbox.Name -TimeoutSec 30 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotReady,SandboxModule.WaitSandboxCommand'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Wait-Sandbox -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.WaitSandboxCommand'
    }
}
