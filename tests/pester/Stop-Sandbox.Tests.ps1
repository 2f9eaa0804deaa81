# Pester 5 tests of Stop-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Stop-Sandbox' {
    It 'stops a sandbox and keeps it' {
        $sandbox = New-Sandbox -Template base
        $stopped = Stop-Sandbox -Name $sandbox.Name -PassThru
        $stopped.Status | Should -Be 'stopped'
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'stopped'
    }

    It 'stops what Get-Sandbox pipes in' {
        $sandbox = New-Sandbox -Template base
        Get-Sandbox -Name $sandbox.Name | Stop-Sandbox
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'stopped'
    }

    It 'keeps the filesystem' {
        $sandbox = New-Sandbox -Template base
        Invoke-SandboxCommand 'echo kept > /home/user/kept.txt' -Sandbox $sandbox | Out-Null
        Stop-Sandbox -Name $sandbox.Name
        Start-Sandbox -Name $sandbox.Name
        Wait-Sandbox -Name $sandbox.Name
        (Invoke-SandboxCommand 'cat /home/user/kept.txt' -Sandbox $sandbox.Name).Stdout.Trim() | Should -Be 'kept'
    }

    It 'does nothing with -WhatIf' {
        $sandbox = New-Sandbox -Template base
        Stop-Sandbox -Name $sandbox.Name -WhatIf
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'ready'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Stop-Sandbox -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.StopSandboxCommand'
    }
}
