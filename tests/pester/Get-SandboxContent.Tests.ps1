# Pester 5 tests of Get-SandboxContent against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxContent' {
    BeforeAll {
        $script:sandbox = New-Sandbox -Template base
        Invoke-SandboxCommand 'printf "one\ntwo\nthree\n" > /home/user/lines.txt' -Sandbox $script:sandbox | Out-Null
    }

    It 'returns one string per line' {
        Get-SandboxContent -Sandbox $script:sandbox -Path lines.txt | Should -Be @('one', 'two', 'three')
    }

    It 'returns one string with -Raw' {
        Get-SandboxContent -Sandbox $script:sandbox -Path /home/user/lines.txt -Raw | Should -Be "one`ntwo`nthree`n"
    }

    It 'returns bytes with -AsByteStream' {
        $bytes = Get-SandboxContent -Sandbox $script:sandbox -Path lines.txt -AsByteStream
        $bytes.GetType() | Should -Be ([byte[]])
        $bytes.Length | Should -Be 14
    }

    It 'binds the sandbox from the pipeline' {
        ($script:sandbox | Get-SandboxContent -Path lines.txt)[0] | Should -Be 'one'
    }

    It 'reports a missing file as SandboxPathNotFound with the path as target' {
        Get-SandboxContent -Sandbox $script:sandbox -Path nope.txt -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxPathNotFound,SandboxModule.GetSandboxContentCommand'
        $err[0].TargetObject | Should -Be 'nope.txt'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Get-SandboxContent -Sandbox (New-TestName -Prefix 'missing') -Path x -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.GetSandboxContentCommand'
    }
}
