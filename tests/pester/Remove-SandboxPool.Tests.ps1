# Pester 5 tests of Remove-SandboxPool against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:tpl = New-TestName -Prefix 'pooltpl'
    New-SandboxTemplate -Name $script:tpl -Image host -Memory 256Mi | Out-Null
}

AfterAll {
    Get-SandboxPool | Remove-SandboxPool -Force -ErrorAction SilentlyContinue
    Remove-SandboxTemplate -Name $script:tpl -Force -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Remove-SandboxPool' {
    It 'deletes a pool with -Force and keeps sandboxes already handed out' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -Replicas 1 | Out-Null
        $box = New-Sandbox -Template $script:tpl
        Remove-SandboxPool -Name $name -Force
        Get-SandboxPool -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-Sandbox -Name $box.Name).Status | Should -Be 'ready'
        $box | Remove-Sandbox -Force
    }

    It 'deletes what Get-SandboxPool pipes in' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -NoWait | Out-Null
        Get-SandboxPool -Name $name | Remove-SandboxPool -Force
        Get-SandboxPool -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -NoWait | Out-Null
        Remove-SandboxPool -Name $name -WhatIf
        Get-SandboxPool -Name $name | Should -Not -BeNullOrEmpty
        Remove-SandboxPool -Name $name -Force
    }

    It 'reports a missing pool as PoolNotFound' {
        { Remove-SandboxPool -Name 'no-such-pool' -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'PoolNotFound,SandboxModule.RemoveSandboxPoolCommand'
    }
}
