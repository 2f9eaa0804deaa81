# Pester 5 tests of Remove-SandboxSnapshot against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:box = New-Sandbox -Template base
}

AfterAll {
    $script:box | Remove-Sandbox -Force
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Remove-SandboxSnapshot' {
    It 'deletes a snapshot by name with -Force' {
        $name = New-TestName -Prefix 'rs'
        $script:box | New-SandboxSnapshot -Name $name | Out-Null
        Remove-SandboxSnapshot -Name $name -Force
        Get-SandboxSnapshot -Name "$name*" | Should -BeNullOrEmpty
    }

    It 'deletes what Get-SandboxSnapshot pipes in and returns it with -PassThru' {
        $name = New-TestName -Prefix 'rs'
        $snap = $script:box | New-SandboxSnapshot -Name $name
        $removed = Get-SandboxSnapshot -Name $name | Remove-SandboxSnapshot -Force -PassThru
        $removed.Id | Should -Be $snap.Id
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'rs'
        $snap = $script:box | New-SandboxSnapshot -Name $name
        Remove-SandboxSnapshot -Id $snap.Id -WhatIf
        (Get-SandboxSnapshot -Id $snap.Id).Name | Should -Be $name
        Remove-SandboxSnapshot -Id $snap.Id -Force
    }

    It 'keeps a sandbox started from the snapshot working' {
        $script:box | Invoke-SandboxCommand 'echo kept > /home/user/kept.txt' | Out-Null
        $snap = $script:box | New-SandboxSnapshot -Name (New-TestName -Prefix 'rs')
        $copy = $snap | New-Sandbox
        $snap | Remove-SandboxSnapshot -Force
        ($copy | Invoke-SandboxCommand 'cat /home/user/kept.txt').Stdout.Trim() | Should -Be 'kept'
        $copy | Remove-Sandbox -Force
    }

    It 'reports a missing snapshot as SnapshotNotFound' {
        { Remove-SandboxSnapshot -Id ([guid]::NewGuid().ToString()) -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.RemoveSandboxSnapshotCommand'
    }

    It 'deletes the snapshot a name:tag reference points at, keeping the other tags' {
        $name = New-TestName -Prefix 'rs'
        $v1 = New-SandboxSnapshot -Image base -Name $name -Tag v1
        $v2 = New-SandboxSnapshot -Image base -Name $name -Tag v2
        Remove-SandboxSnapshot "${name}:v1" -Force
        { Get-SandboxSnapshot -Id $v1.Id -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand'
        (Get-SandboxSnapshot $name).Id | Should -Be $v2.Id
        $v2 | Remove-SandboxSnapshot -Force
    }
}
