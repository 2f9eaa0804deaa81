# Pester 5 tests of Get-SandboxTemplate against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxTemplate' {
    It 'lists the seeded templates' {
        $names = (Get-SandboxTemplate).Name
        $names | Should -Contain 'base'
        $names | Should -Contain 'python'
    }

    It 'gets a template by name' {
        $template = Get-SandboxTemplate -Name python
        $template | Should -BeOfType ([Sandbox.Client.SandboxTemplate])
        $template.TemplateName | Should -Be 'python'
    }

    It 'matches wildcards' {
        (Get-SandboxTemplate -Name 'py*').Name | Should -Be @('python')
    }

    It 'reports a missing template as TemplateNotFound' {
        Get-SandboxTemplate -Name 'no-such-template' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'TemplateNotFound,SandboxModule.GetSandboxTemplateCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'no-such-template'
    }

    It 'gets the template of a sandbox piped in, not a template named like the sandbox' -Tag 'Issue13', 'Issue13.P7' {
        $sandbox = New-Sandbox -Template base
        try {
            ($sandbox | Get-SandboxTemplate).Name | Should -Be 'base'
            $fromDefault = New-Sandbox
            $fromDefault | Get-SandboxTemplate -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'SandboxHasNoTemplate,SandboxModule.GetSandboxTemplateCommand'
        }
        finally {
            $sandbox, $fromDefault | Where-Object { $_ } | Remove-Sandbox -Force
        }
    }

    It 'pipes into New-Sandbox' {
        (Get-SandboxTemplate -Name base | New-Sandbox).TemplateName | Should -Be 'base'
    }
}
