# Pester 5 tests of Get-SandboxMetric against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxMetric' {
    It 'returns typed metrics that move when the sandbox works' {
        $sandbox = New-Sandbox -Template base
        $before = Get-SandboxMetric -Name $sandbox.Name
        $before | Should -BeOfType ([Sandbox.Client.SandboxMetrics])
        $before.Name | Should -Be $sandbox.Name
        $before.Pids | Should -BeGreaterThan 0
        Invoke-SandboxCommand 'dd if=/dev/zero of=/home/user/blob bs=1M count=2 status=none' -Sandbox $sandbox | Out-Null
        $after = Get-SandboxMetric -Name $sandbox.Name
        $after.DiskBytes | Should -BeGreaterOrEqual ($before.DiskBytes + 2097152)
        $after.CpuSeconds | Should -BeGreaterThan $before.CpuSeconds
    }

    It 'takes sandboxes from Get-Sandbox' {
        $a = New-Sandbox -Template base
        $b = New-Sandbox -Template base
        $metrics = Get-Sandbox -Name $a.Name, $b.Name | Get-SandboxMetric
        $metrics.Name | Sort-Object | Should -Be (@($a.Name, $b.Name) | Sort-Object)
    }

    It 'binds by property name' {
        $sandbox = New-Sandbox -Template base
        ([pscustomobject]@{ SandboxName = $sandbox.Name } | Get-SandboxMetric).Name | Should -Be $sandbox.Name
    }

    It 'has a table view' {
        $sandbox = New-Sandbox -Template base
        (Get-SandboxMetric -Name $sandbox.Name | Format-Table | Out-String) | Should -Match 'CpuSeconds'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Get-SandboxMetric -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.GetSandboxMetricCommand'
    }
}
