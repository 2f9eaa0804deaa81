# Pester 5 tests of Use-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Use-Sandbox' {
    It 'runs the block with the sandbox and returns its output' {
        $result = Use-Sandbox -Template base { param($sb) (Invoke-SandboxCommand 'echo inside' -Sandbox $sb).Stdout.Trim() }
        $result | Should -Be 'inside'
    }

    It 'deletes the sandbox afterwards' {
        $name = New-TestName -Prefix 'use'
        Use-Sandbox -Template base -Name $name { param($sb) $sb.Name } | Should -Be $name
        Get-Sandbox -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'deletes the sandbox when the block throws' {
        $name = New-TestName -Prefix 'use'
        { Use-Sandbox -Template base -Name $name { throw 'boom' } } | Should -Throw '*boom*'
        Get-Sandbox -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'passes -ArgumentList after the sandbox' {
        Use-Sandbox -Template base { param($sb, $a, $b) $a + $b } -ArgumentList 2, 3 | Should -Be 5
    }

    It 'reports an unknown template as TemplateNotFound' {
        { Use-Sandbox -Template 'no-such-template' { 'never' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.UseSandboxCommand'
    }
}
