# Pester 5 tests of Start-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Start-Sandbox' {
    It 'starts a stopped sandbox' {
        $sandbox = New-Sandbox -Template base
        Stop-Sandbox -Name $sandbox.Name
        Start-Sandbox -Name $sandbox.Name -PassThru | Wait-Sandbox -PassThru | ForEach-Object Status | Should -Be 'ready'
        (Invoke-SandboxCommand 'echo up' -Sandbox $sandbox.Name).Stdout.Trim() | Should -Be 'up'
    }

    It 'starts what Get-Sandbox pipes in' {
        $sandbox = New-Sandbox -Template base
        $sandbox | Stop-Sandbox
        Get-Sandbox -Name $sandbox.Name | Start-Sandbox
        Wait-Sandbox -Name $sandbox.Name -PassThru | ForEach-Object Status | Should -Be 'ready'
    }

    It 'does nothing with -WhatIf' {
        $sandbox = New-Sandbox -Template base
        Stop-Sandbox -Name $sandbox.Name
        Start-Sandbox -Name $sandbox.Name -WhatIf
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'stopped'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Start-Sandbox -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.StartSandboxCommand'
    }
}
