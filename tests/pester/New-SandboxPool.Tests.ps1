# Pester 5 tests of New-SandboxPool against a private local server (see Common.ps1).

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

Describe 'New-SandboxPool' {
    It 'creates a pool and waits until its sandboxes are ready' {
        $name = New-TestName -Prefix 'pool'
        $pool = New-SandboxPool -Name $name -Template $script:tpl -Replicas 2
        $pool | Should -BeOfType ([Sandbox.Client.SandboxPool])
        $pool.Name | Should -Be $name
        $pool.Replicas | Should -Be 2
        $pool.ReadyReplicas | Should -Be 2
        Remove-SandboxPool -Name $name -Force
    }

    It 'makes New-Sandbox -Template take a ready sandbox' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -Replicas 1 | Out-Null
        $box = New-Sandbox -Template $script:tpl
        ($box | Invoke-SandboxCommand 'hostname').Stdout.Trim() | Should -Be $box.Name
        $box | Remove-Sandbox -Force
        Remove-SandboxPool -Name $name -Force
    }

    It 'reports a taken name as PoolAlreadyExists' {
        $name = New-TestName -Prefix 'pool'
        New-SandboxPool -Name $name -Template $script:tpl -NoWait | Out-Null
        { New-SandboxPool -Name $name -Template $script:tpl -ErrorAction Stop } |
            Should -Throw -ErrorId 'PoolAlreadyExists,SandboxModule.NewSandboxPoolCommand'
        Remove-SandboxPool -Name $name -Force
    }

    It 'reports a missing template as TemplateNotFound' {
        { New-SandboxPool -Name (New-TestName -Prefix 'pool') -Template 'no-such-template' -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.NewSandboxPoolCommand'
    }
}
