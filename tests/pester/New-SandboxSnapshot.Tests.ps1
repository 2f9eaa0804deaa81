# Pester 5 tests of New-SandboxSnapshot against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'New-SandboxSnapshot' {
    It 'captures a sandbox from the pipeline and waits until it is ready' {
        $box = New-Sandbox -Template base
        $box | Invoke-SandboxCommand 'echo snap > /home/user/snap.txt' | Out-Null
        $name = New-TestName -Prefix 'snap'
        $snap = $box | New-SandboxSnapshot -Name $name
        $snap | Should -BeOfType ([Sandbox.Client.SandboxSnapshot])
        $snap.Name | Should -Be $name
        $snap.Status | Should -Be 'ready'
        $snap.SourceSandboxId | Should -Be $box.Id
        $snap | Remove-SandboxSnapshot -Force
        $box | Remove-Sandbox -Force
    }

    It 'returns at once with -NoWait' {
        $box = New-Sandbox -Template base
        $snap = New-SandboxSnapshot -Sandbox $box.Name -Name (New-TestName -Prefix 'snap') -NoWait
        $snap.Status | Should -BeIn @('building', 'ready')
        Remove-SandboxSnapshot -Id $snap.Id -Force
        $box | Remove-Sandbox -Force
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { New-SandboxSnapshot -Sandbox 'no-such-sandbox' -Name (New-TestName -Prefix 'snap') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.NewSandboxSnapshotCommand'
    }

    It 'does nothing with -WhatIf' {
        $box = New-Sandbox -Template base
        $name = New-TestName -Prefix 'snap'
        $box | New-SandboxSnapshot -Name $name -WhatIf
        Get-SandboxSnapshot -Name "$name*" | Should -BeNullOrEmpty
        $box | Remove-Sandbox -Force
    }
}
