# Pester 5 tests of Rename-SandboxTemplate against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Rename-SandboxTemplate' {
    It 'renames a template' {
        $name = New-TestName -Prefix 'tpl'
        $newName = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name $name -Image host | Out-Null
        (Rename-SandboxTemplate -Name $name -NewName $newName -PassThru).Name | Should -Be $newName
        Get-SandboxTemplate -Name $newName | Should -Not -BeNullOrEmpty
    }

    It 'renames a template from the pipeline' {
        $newName = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name (New-TestName -Prefix 'tpl') -Image host | Rename-SandboxTemplate -NewName $newName
        Get-SandboxTemplate -Name $newName | Should -Not -BeNullOrEmpty
    }

    It 'reports a missing template as TemplateNotFound' {
        { Rename-SandboxTemplate -Name 'no-such-template' -NewName (New-TestName) -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.RenameSandboxTemplateCommand'
    }
}
