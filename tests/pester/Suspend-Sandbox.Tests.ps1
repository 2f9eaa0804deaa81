# Pester 5 tests of Suspend-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Suspend-Sandbox' {
    It 'pauses a sandbox and keeps its processes' {
        $sandbox = New-Sandbox -Template base
        Invoke-SandboxCommand "nohup sh -c 'sleep 600' >/dev/null 2>&1 &" -Sandbox $sandbox | Out-Null
        $paused = Suspend-Sandbox -Name $sandbox.Name -PassThru
        $paused.Status | Should -Be 'paused'
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'paused'
        (Invoke-SandboxCommand 'pgrep -c -x sleep' -Sandbox $sandbox.Name).Stdout.Trim() | Should -Be '1'
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'ready'
    }

    It 'pauses what Get-Sandbox pipes in' {
        $sandbox = New-Sandbox -Template base
        Get-Sandbox -Name $sandbox.Name | Suspend-Sandbox
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'paused'
    }

    It 'does nothing with -WhatIf' {
        $sandbox = New-Sandbox -Template base
        Suspend-Sandbox -Name $sandbox.Name -WhatIf
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'ready'
    }

    It 'reports a stopped sandbox as NotReady' {
        $sandbox = New-Sandbox -Template base
        Stop-Sandbox -Name $sandbox.Name
        { Suspend-Sandbox -Name $sandbox.Name -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotReady,SandboxModule.SuspendSandboxCommand'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Suspend-Sandbox -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.SuspendSandboxCommand'
    }
}
