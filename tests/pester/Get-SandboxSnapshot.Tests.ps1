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
}
