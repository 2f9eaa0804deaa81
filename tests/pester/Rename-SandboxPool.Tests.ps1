# Pester 5 tests of Rename-SandboxPool against a private local server (see Common.ps1).

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

Describe 'Rename-SandboxPool' {
    It 'renames a pool' {
        $name = New-TestName -Prefix 'pool'
        $newName = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -NoWait | Out-Null
        (Rename-SandboxPool -Name $name -NewName $newName -PassThru).Name | Should -Be $newName
        Get-SandboxPool -Name $newName | Should -Not -BeNullOrEmpty
        Remove-SandboxPool -Name $newName -Force
    }

    It 'renames a pool from the pipeline' {
        $newName = New-TestName -Prefix 'pool'
        New-SandboxPool -Name (New-TestName -Prefix 'pool') -Template $script:tpl -NoWait | Rename-SandboxPool -NewName $newName
        Get-SandboxPool -Name $newName | Should -Not -BeNullOrEmpty
        Remove-SandboxPool -Name $newName -Force
    }

    It 'reports a missing pool as PoolNotFound' {
        { Rename-SandboxPool -Name 'no-such-pool' -NewName (New-TestName) -ErrorAction Stop } |
            Should -Throw -ErrorId 'PoolNotFound,SandboxModule.RenameSandboxPoolCommand'
    }
}
