# Pester 5 tests of Get-SandboxSnapshot against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:box = New-Sandbox -Template base
    $script:prefix = New-TestName -Prefix 'gs'
    $script:snap = $script:box | New-SandboxSnapshot -Name "$($script:prefix)-one"
}

AfterAll {
    Get-SandboxSnapshot -Name "$($script:prefix)*" | Remove-SandboxSnapshot -Force
    $script:box | Remove-Sandbox -Force
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxSnapshot' {
    It 'gets a snapshot by name' {
        $got = Get-SandboxSnapshot -Name "$($script:prefix)-one"
        $got.Id | Should -Be $script:snap.Id
    }

    It 'matches wildcards' {
        (Get-SandboxSnapshot -Name "$($script:prefix)*").Name | Should -Contain "$($script:prefix)-one"
        Get-SandboxSnapshot -Name 'no-match-*' | Should -BeNullOrEmpty
    }

    It 'gets a snapshot by id and from the pipeline' {
        (Get-SandboxSnapshot -Id $script:snap.Id).Name | Should -Be "$($script:prefix)-one"
        ($script:snap | Get-SandboxSnapshot).Id | Should -Be $script:snap.Id
    }

    It 'lists every snapshot without parameters' {
        (Get-SandboxSnapshot).Id | Should -Contain $script:snap.Id
    }

    It 'reports a missing name as SnapshotNotFound' {
        { Get-SandboxSnapshot -Name 'no-such-snapshot' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand'
        { Get-SandboxSnapshot -Id ([guid]::NewGuid().ToString()) -ErrorAction Stop } |
            Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand'
    }

    Context 'tags and labels' {
        BeforeAll {
            $script:tagName = "$($script:prefix)-tagged"
            $script:v1 = New-SandboxSnapshot -Image base -Name $script:tagName -Tag v1 -Label @{ team = 'data'; release = 'yes' }
            $script:v2 = New-SandboxSnapshot -Image base -Name $script:tagName -Tag v2 -Label @{ team = 'web' }
        }

        It 'gets the snapshot a tag points at with name:tag, wildcards in the tag too' {
            (Get-SandboxSnapshot "$($script:tagName):v1").Id | Should -Be $script:v1.Id
            (Get-SandboxSnapshot "$($script:tagName):v*").Id | Sort-Object | Should -Be (@($script:v1.Id, $script:v2.Id) | Sort-Object)
            (Get-SandboxSnapshot $script:tagName).Count | Should -Be 2
        }

        It 'reports a tag that does not exist as SnapshotNotFound and an empty tag as a bad reference' {
            { Get-SandboxSnapshot "$($script:tagName):v9" -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand'
            $e = { Get-SandboxSnapshot "$($script:tagName):" -ErrorAction Stop } |
                Should -Throw -ErrorId 'SandboxInvalidSnapshotReference,SandboxModule.GetSandboxSnapshotCommand' -PassThru
            $e.Exception.Message | Should -Match 'name:tag'
        }

        It 'filters by -Label value and by key alone' {
            (Get-SandboxSnapshot -Label @{ team = 'data' } | Where-Object Name -eq $script:tagName).Id | Should -Be $script:v1.Id
            (Get-SandboxSnapshot "$($script:prefix)*" -Label @{ release = '*' }).Id | Should -Be $script:v1.Id
            (Get-SandboxSnapshot "$($script:prefix)*" -Label @{ team = $null }).Count | Should -Be 2
            Get-SandboxSnapshot "$($script:prefix)*" -Label @{ team = 'none' } | Should -BeNullOrEmpty
            { Get-SandboxSnapshot -Label @{ 'bad key' = 'x' } -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxInvalidLabel,SandboxModule.GetSandboxSnapshotCommand'
        }

        It 'shows the tags in the table and the labels in the list' {
            $table = Get-SandboxSnapshot "$($script:tagName):v1" | Format-Table | Out-String
            $table | Should -Match 'Tags'
            $table | Should -Match '\bv1\b'
            $list = Get-SandboxSnapshot "$($script:tagName):v1" | Format-List | Out-String
            $list | Should -Match 'Labels\s*:\s*release=yes, team=data'
        }

        It 'completes snapshot names and name:tag references' -Tag 'Issue13', 'Issue13.P9' {
            $line = "Get-SandboxSnapshot -Name $($script:tagName)"
            $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
            $completions | Should -Contain $script:tagName
            $completions | Should -Contain "$($script:tagName):v1"
            $line = "New-Sandbox -Snapshot $($script:tagName):v"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain "$($script:tagName):v2"
        }
    }
}
