# Pester 5 tests of Set-SandboxPool against a private local server (see Common.ps1).

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

Describe 'Set-SandboxPool' {
    It 'changes the desired replicas and pauses with 0' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -Replicas 1 | Out-Null
        (Set-SandboxPool -Name $name -Replicas 2 -PassThru).Replicas | Should -Be 2
        Get-SandboxPool -Name $name | Set-SandboxPool -Replicas 0
        (Get-SandboxPool -Name $name).Replicas | Should -Be 0
        Remove-SandboxPool -Name $name -Force
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -Replicas 1 | Out-Null
        Set-SandboxPool -Name $name -Replicas 3 -WhatIf
        (Get-SandboxPool -Name $name).Replicas | Should -Be 1
        Remove-SandboxPool -Name $name -Force
    }

    It 'reports a missing pool as PoolNotFound' {
        { Set-SandboxPool -Name 'no-such-pool' -Replicas 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'PoolNotFound,SandboxModule.SetSandboxPoolCommand'
    }
}
