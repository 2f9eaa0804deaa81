# Pester 5 tests of Rename-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Rename-Sandbox' {
    It 'renames a sandbox and returns it with -PassThru' {
        $sandbox = New-Sandbox -Template base
        $newName = New-TestName -Prefix 'renamed'
        $renamed = Rename-Sandbox -Name $sandbox.Name -NewName $newName -PassThru
        $renamed.Name | Should -Be $newName
        Get-Sandbox -Name $newName | Should -Not -BeNullOrEmpty
    }

    It 'renames a sandbox from the pipeline, and commands still run' {
        $newName = New-TestName -Prefix 'renamed'
        New-Sandbox -Template base | Rename-Sandbox -NewName $newName
        (Invoke-SandboxCommand 'echo ok' -Sandbox $newName).Stdout.Trim() | Should -Be 'ok'
    }

    It 'does nothing with -WhatIf' {
        $sandbox = New-Sandbox -Template base
        Rename-Sandbox -Name $sandbox.Name -NewName (New-TestName) -WhatIf
        Get-Sandbox -Name $sandbox.Name | Should -Not -BeNullOrEmpty
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Rename-Sandbox -Name (New-TestName -Prefix 'missing') -NewName (New-TestName) -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.RenameSandboxCommand'
    }

    It 'reports a taken name as SandboxAlreadyExists' {
        $a = New-Sandbox -Template base
        $b = New-Sandbox -Template base
        { Rename-Sandbox -Name $a.Name -NewName $b.Name -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxAlreadyExists,SandboxModule.RenameSandboxCommand'
    }
}
