# Pester 5 tests of Set-SandboxContent against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Set-SandboxContent' {
    BeforeAll {
        $script:sandbox = New-Sandbox -Template base
    }

    It 'writes -Value lines' {
        Set-SandboxContent -Sandbox $script:sandbox -Path a.txt -Value 'x', 'y'
        Get-SandboxContent -Sandbox $script:sandbox -Path a.txt -Raw | Should -Be "x`ny`n"
    }

    It 'writes pipeline input when -Sandbox is given' {
        1..3 | Set-SandboxContent -Sandbox $script:sandbox -Path n.txt
        Get-SandboxContent -Sandbox $script:sandbox -Path n.txt | Should -Be @('1', '2', '3')
    }

    It 'takes the sandbox from the pipeline with -Value' {
        $script:sandbox | Set-SandboxContent -Path p.txt -Value 'piped' -NoNewline
        Get-SandboxContent -Sandbox $script:sandbox -Path p.txt -Raw | Should -Be 'piped'
    }

    It 'writes a byte array as is and returns the file with -PassThru' {
        $transfer = Set-SandboxContent -Sandbox $script:sandbox -Path b.bin -Value (, [byte[]](0, 1, 2, 255)) -PassThru
        $transfer.Length | Should -Be 4
        (Get-SandboxContent -Sandbox $script:sandbox -Path b.bin -AsByteStream) | Should -Be @(0, 1, 2, 255)
    }

    It 'does nothing with -WhatIf' {
        Set-SandboxContent -Sandbox $script:sandbox -Path whatif.txt -Value 'no' -WhatIf
        Get-SandboxContent -Sandbox $script:sandbox -Path whatif.txt -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Set-SandboxContent -Sandbox (New-TestName -Prefix 'missing') -Path x -Value y -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.SetSandboxContentCommand'
    }
}
