# Pester 5 tests of Resume-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Resume-Sandbox' {
    It 'resumes a paused sandbox with its files and processes' {
        $sandbox = New-Sandbox -Template base
        Invoke-SandboxCommand 'echo kept > /home/user/kept.txt' -Sandbox $sandbox | Out-Null
        Suspend-Sandbox -Name $sandbox.Name
        $resumed = Resume-Sandbox -Name $sandbox.Name -PassThru
        $resumed.Status | Should -Be 'ready'
        (Invoke-SandboxCommand 'cat /home/user/kept.txt' -Sandbox $sandbox.Name).Stdout.Trim() | Should -Be 'kept'
    }

    It 'resumes what Get-Sandbox -Status paused pipes in' {
        $sandbox = New-Sandbox -Template base
        Suspend-Sandbox -Name $sandbox.Name
        Get-Sandbox -Name $sandbox.Name -Status paused | Resume-Sandbox
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'ready'
    }

    It 'changes nothing with -WhatIf' -Tag 'Issue13', 'Issue13.P9' {
        $sandbox = New-Sandbox -Template base
        Suspend-Sandbox -Name $sandbox.Name
        Resume-Sandbox -Name $sandbox.Name -WhatIf
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'paused'
        Resume-Sandbox -Name $sandbox.Name
    }

    It 'is not an error on a ready sandbox' {
        $sandbox = New-Sandbox -Template base
        (Resume-Sandbox -Name $sandbox.Name -PassThru).Status | Should -Be 'ready'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Resume-Sandbox -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.ResumeSandboxCommand'
    }
}
