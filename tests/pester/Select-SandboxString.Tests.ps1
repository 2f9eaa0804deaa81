# Pester 5 tests of Select-SandboxString against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:sandbox = New-Sandbox -Template base
    Invoke-SandboxCommand -Sandbox $script:sandbox 'mkdir -p /home/user/code/lib && printf "first\nTODO: a\nlast TODO\n" > /home/user/code/main.py && printf "todo lower\nTODO: b\n" > /home/user/code/lib/util.sh && printf "a.b TODO\n" > /home/user/code/notes.txt' | Out-Null
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Select-SandboxString' {
    It 'finds literal, case-sensitive text as typed matches sorted by path and line' {
        $matches = Select-SandboxString -Sandbox $script:sandbox -Pattern TODO -Path code
        $matches | Should -BeOfType ([Sandbox.Client.SandboxMatchInfo])
        $matches.ForEach({ $_.ToString() }) | Should -Be @(
            '/home/user/code/lib/util.sh:2:TODO: b',
            '/home/user/code/main.py:2:TODO: a',
            '/home/user/code/main.py:3:last TODO',
            '/home/user/code/notes.txt:1:a.b TODO')
        $matches[1].LineNumber | Should -Be 2
        $matches[1].Line | Should -Be 'TODO: a'
        $matches[1].Pattern | Should -Be 'TODO'
        $matches[1].SandboxName | Should -Be $script:sandbox.Name
    }

    It 'treats the pattern as text, not a regular expression' {
        (Select-SandboxString -Sandbox $script:sandbox 'a.b' code).Path | Should -Be '/home/user/code/notes.txt'
        Select-SandboxString -Sandbox $script:sandbox 'a.*b' code | Should -BeNullOrEmpty
    }

    It 'searches only the files -Include admits, and binds the sandbox from the pipeline' {
        ($script:sandbox | Select-SandboxString TODO code -Include *.py).Path | Sort-Object -Unique | Should -Be '/home/user/code/main.py'
        ($script:sandbox | Select-SandboxString TODO code -Include 'lib/*').Path | Should -Be '/home/user/code/lib/util.sh'
    }

    It 'warns when -Limit cut the search' {
        $found = Select-SandboxString -Sandbox $script:sandbox TODO code -Limit 1 -WarningVariable warned -WarningAction SilentlyContinue
        @($found).Count | Should -Be 1
        $warned[0].Message | Should -Match 'there may be more'
    }

    It 'prints matches as path:line:text' {
        (Select-SandboxString -Sandbox $script:sandbox 'last TODO' code | Out-String).Trim() | Should -Be '/home/user/code/main.py:3:last TODO'
    }

    It 'reports a bad -Include naming the field and a missing directory as SandboxPathNotFound' {
        Select-SandboxString -Sandbox $script:sandbox TODO code -Include '/abs' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxValidationFailed,SandboxModule.SelectSandboxStringCommand'
        $err[0].Exception.Message | Should -Match 'glob'
        Select-SandboxString -Sandbox $script:sandbox TODO nowhere -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -Be 'SandboxPathNotFound,SandboxModule.SelectSandboxStringCommand'
    }
}
