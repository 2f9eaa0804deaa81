# Pester 5 tests of New-SandboxTemplate against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'New-SandboxTemplate' {
    It 'creates a template' {
        $name = New-TestName -Prefix 'tpl'
        $template = New-SandboxTemplate -Name $name -Image host -Cpu 500m -Memory 256Mi
        $template | Should -BeOfType ([Sandbox.Client.SandboxTemplate])
        $template.Name | Should -Be $name
        $template.Image | Should -Be 'host'
        $template.Resources.Cpu | Should -Be '500m'
        $template.Resources.Memory | Should -Be '256Mi'
        (New-Sandbox -Template $name).TemplateName | Should -Be $name
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'tpl'
        New-SandboxTemplate -Name $name -Image host -WhatIf
        Get-SandboxTemplate -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports a taken name as TemplateAlreadyExists' {
        { New-SandboxTemplate -Name base -Image host -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateAlreadyExists,SandboxModule.NewSandboxTemplateCommand'
    }

    It 'reports a bad image as a validation error naming the field' {
        New-SandboxTemplate -Name (New-TestName -Prefix 'tpl') -Image 'docker.io/nothing' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxValidationFailed,SandboxModule.NewSandboxTemplateCommand'
        $err[0].Exception.Field | Should -Be 'image'
    }
}
