# Pester 5 tests of Get-SandboxPool against a private local server (see Common.ps1).

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

Describe 'Get-SandboxPool' {
    It 'gets a pool by name and by wildcard with ready and desired counts' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -Replicas 1 | Out-Null
        $pool = Get-SandboxPool -Name $name
        $pool.ReadyReplicas | Should -Be 1
        $pool.Replicas | Should -Be 1
        (Get-SandboxPool -Name "$name*").Name | Should -Be $name
        Remove-SandboxPool -Name $name -Force
    }

    It 'returns nothing for a pattern that matches nothing' {
        Get-SandboxPool -Name 'no-such-pool-*' | Should -BeNullOrEmpty
    }

    It 'reports a missing pool as PoolNotFound' {
        { Get-SandboxPool -Name 'no-such-pool' -ErrorAction Stop } |
            Should -Throw -ErrorId 'PoolNotFound,SandboxModule.GetSandboxPoolCommand'
    }
}
