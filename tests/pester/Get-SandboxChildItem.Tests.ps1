# Pester 5 tests of Get-SandboxChildItem against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:sandbox = New-Sandbox -Template base
    Invoke-SandboxCommand -Sandbox $script:sandbox 'mkdir -p /home/user/proj/src/deep && printf "abc" > /home/user/proj/a.txt && printf "x" > /home/user/proj/src/b.py && printf "y" > /home/user/proj/src/deep/c.py && touch /home/user/proj/.hidden' | Out-Null
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxChildItem' {
    It 'lists one level of a directory as typed entries sorted by path' {
        $items = Get-SandboxChildItem -Sandbox $script:sandbox -Path proj
        $items | Should -BeOfType ([Sandbox.Client.SandboxFileEntry])
        $items.Path | Should -Be @('/home/user/proj/.hidden', '/home/user/proj/a.txt', '/home/user/proj/src')
        $file = $items | Where-Object Name -eq 'a.txt'
        $file.SizeBytes | Should -Be 3
        $file.IsDir | Should -BeFalse
        $file.SandboxName | Should -Be $script:sandbox.Name
        ($items | Where-Object Name -eq 'src').IsDir | Should -BeTrue
    }

    It 'matches -Filter at any depth with -Recurse, and ** patterns as given' {
        (Get-SandboxChildItem -Sandbox $script:sandbox proj *.py -Recurse).Path | Should -Be @('/home/user/proj/src/b.py', '/home/user/proj/src/deep/c.py')
        (Get-SandboxChildItem -Sandbox $script:sandbox proj -Filter 'src/**/*.py').Path | Should -Be @('/home/user/proj/src/b.py', '/home/user/proj/src/deep/c.py')
        Get-SandboxChildItem -Sandbox $script:sandbox proj *.py | Should -BeNullOrEmpty
    }

    It 'keeps directories or files with -Directory and -File, and refuses both' {
        (Get-SandboxChildItem -Sandbox $script:sandbox /home/user/proj -Recurse -Directory).Name | Should -Be @('src', 'deep')
        (Get-SandboxChildItem -Sandbox $script:sandbox /home/user/proj -Recurse -File).Count | Should -Be 4
        { Get-SandboxChildItem -Sandbox $script:sandbox proj -File -Directory -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxInvalidArgument,SandboxModule.GetSandboxChildItemCommand'
    }

    It 'binds the sandbox from the pipeline and warns when -Limit cut the listing' {
        $items = $script:sandbox | Get-SandboxChildItem proj -Recurse -Limit 2 -WarningVariable warned -WarningAction SilentlyContinue
        $items.Count | Should -Be 2
        $warned[0].Message | Should -Match 'there may be more'
        $warned[0].Message | Should -Match '-Limit'
    }

    It 'reports a bad pattern naming it, and a missing directory as SandboxPathNotFound' {
        Get-SandboxChildItem -Sandbox $script:sandbox proj -Filter '[a' -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxValidationFailed,SandboxModule.GetSandboxChildItemCommand'
        $err[0].Exception.Message | Should -Match 'pattern'
        Get-SandboxChildItem -Sandbox $script:sandbox no-such-dir -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -Be 'SandboxPathNotFound,SandboxModule.GetSandboxChildItemCommand'
        $err2[0].TargetObject | Should -Be '/home/user/no-such-dir'
        { Get-SandboxChildItem -Sandbox $script:sandbox proj -Limit 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SandboxModule.GetSandboxChildItemCommand'
    }

    It 'formats entries as a table with Mode, LastWriteTime, Length and Path' {
        $text = Get-SandboxChildItem -Sandbox $script:sandbox proj | Format-Table | Out-String
        $text | Should -Match 'Mode\s+LastWriteTime\s+Length\s+Path'
        $text | Should -Match 'd\s+.*/home/user/proj/src'
    }
}
