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

    It 'sets $_ to the sandbox inside the block' -Tag 'Issue13', 'Issue13.P9' {
        $name = New-TestName -Prefix 'use'
        Use-Sandbox -Template base -Name $name { $_.Name } | Should -Be $name
        Use-Sandbox -Template base { ($_ | Invoke-SandboxCommand 'echo dollar-under').Stdout.Trim() } | Should -Be 'dollar-under'
    }

    It 'deletes the sandbox afterwards' {
        $name = New-TestName -Prefix 'use'
        Use-Sandbox -Template base -Name $name { param($sb) $sb.Name } | Should -Be $name
        Get-Sandbox -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'uses the server''s default without -Template, with -RunAs, and deletes it afterwards' {
        $name = New-TestName -Prefix 'use'
        $out = Use-Sandbox -Name $name -RunAs user { param($sb) (Invoke-SandboxCommand 'python3 -c "import getpass; print(getpass.getuser())"' -Sandbox $sb).Stdout.Trim() }
        $out | Should -Be 'user'
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

    It 'takes the creation parameters of New-Sandbox: -IdleTimeout, -AutoPause, -NetworkPolicy' {
        $seen = Use-Sandbox -Template base -TimeToLive 10m -IdleTimeout 120 -AutoPause -NetworkPolicy allow-all { param($sb) $sb }
        $seen.TtlSeconds | Should -Be 600
        $seen.IdleTtlSeconds | Should -Be 120
        $seen.NetworkPolicy.Mode | Should -Be 'allow-all'
    }

    It 'starts the sandbox from a snapshot with -Snapshot and from the pipeline' {
        $source = New-Sandbox -Template base
        $source | Invoke-SandboxCommand 'echo from-snap > /home/user/s.txt' | Out-Null
        $snap = $source | New-SandboxSnapshot -Name (New-TestName -Prefix 'snap')
        Use-Sandbox -Snapshot $snap.Id { param($sb) (Invoke-SandboxCommand 'cat /home/user/s.txt' -Sandbox $sb).Stdout.Trim() } |
            Should -Be 'from-snap'
        $snap | Use-Sandbox { param($sb) $sb.SnapshotId } | Should -Be $snap.Id
        $source | Remove-Sandbox -Force
        $snap | Remove-SandboxSnapshot -Force
    }

    It 'reports an unknown template as TemplateNotFound' {
        { Use-Sandbox -Template 'no-such-template' { 'never' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.UseSandboxCommand'
    }

    It 'passes -Label to the sandbox it makes' {
        Use-Sandbox -Template base -Label @{ job = 'nightly' } { param($sb) $sb.Labels['job'] } | Should -Be 'nightly'
    }
}
