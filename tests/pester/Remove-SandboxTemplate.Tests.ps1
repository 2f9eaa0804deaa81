# Pester 5 tests of Remove-SandboxTemplate against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Remove-SandboxTemplate' {
    It 'deletes a template with -Force' {
        $name = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name $name -Image host | Out-Null
        Remove-SandboxTemplate -Name $name -Force
        Get-SandboxTemplate -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'deletes what Get-SandboxTemplate pipes in' {
        $name = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name $name -Image host | Out-Null
        Get-SandboxTemplate -Name $name | Remove-SandboxTemplate -Force
        Get-SandboxTemplate -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name $name -Image host | Out-Null
        Remove-SandboxTemplate -Name $name -WhatIf
        Get-SandboxTemplate -Name $name | Should -Not -BeNullOrEmpty
    }

    It 'reports a template in use as TemplateInUse' {
        $name = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name $name -Image host | New-Sandbox | Out-Null
        Remove-SandboxTemplate -Name $name -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'TemplateInUse,SandboxModule.RemoveSandboxTemplateCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
    }

    It 'reports a missing template as TemplateNotFound' {
        { Remove-SandboxTemplate -Name 'no-such-template' -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.RemoveSandboxTemplateCommand'
    }
}
