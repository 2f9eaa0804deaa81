# Pester 5 tests of Get-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-Sandbox' {
    BeforeAll {
        $script:prefix = New-TestName -Prefix 'get'
        $script:a = New-Sandbox -Template base -Name "$script:prefix-a"
        $script:b = New-Sandbox -Template base -Name "$script:prefix-b"
    }

    It 'gets a sandbox by name' {
        $found = Get-Sandbox -Name $script:a.Name
        $found.Name | Should -Be $script:a.Name
        $found | Should -BeOfType ([Sandbox.Client.Sandbox])
    }

    It 'matches wildcards' {
        $found = Get-Sandbox -Name "$script:prefix-*"
        $found.Name | Should -Be @("$script:prefix-a", "$script:prefix-b")
    }

    It 'finds a literal name whatever its case, as a wildcard would' -Tag 'Issue13', 'Issue13.P9' {
        (Get-Sandbox -Name $script:a.Name.ToUpperInvariant()).Name | Should -Be $script:a.Name
        { Get-Sandbox -Name "$($script:prefix)-C".ToUpperInvariant() -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.GetSandboxCommand'
    }

    It 'returns nothing, without an error, for a pattern that matches nothing' {
        Get-Sandbox -Name 'no-such-prefix-*' -ErrorVariable err | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
    }

    It 'filters by -Status and -Template' {
        (Get-Sandbox -Name "$script:prefix-*" -Status ready -Template base).Count | Should -Be 2
        Get-Sandbox -Name "$script:prefix-*" -Status stopped | Should -BeNullOrEmpty
    }

    It 'writes a non-terminating SandboxNotFound error for a missing name' {
        $missing = New-TestName -Prefix 'missing'
        $found = Get-Sandbox -Name $missing, $script:a.Name -ErrorAction SilentlyContinue -ErrorVariable err
        $found.Name | Should -Be $script:a.Name
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxNotFound,SandboxModule.GetSandboxCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be $missing
        $err[0].ErrorDetails.Message | Should -Match "'$missing' not found"
        $err[0].Exception.ResponseBody | Should -Match 'SandboxNotFound'
    }

    It 'stops with -ErrorAction Stop' {
        { Get-Sandbox -Name (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.GetSandboxCommand'
    }

    It 'takes names from the pipeline' {
        ($script:a.Name, $script:b.Name | Get-Sandbox).Count | Should -Be 2
    }

    It 'has a table view' {
        (Get-Sandbox -Name $script:a.Name | Format-Table | Out-String) | Should -Match 'Status'
    }

    It 'filters by -Label value and by key alone, also for a literal name' {
        $team = New-TestName -Prefix 'team'
        $labelled = New-Sandbox -Template base -Label @{ team = $team; role = 'db' }
        $other = New-Sandbox -Template base -Label @{ team = $team }
        (Get-Sandbox -Label @{ team = $team }).Name | Sort-Object | Should -Be (@($labelled.Name, $other.Name) | Sort-Object)
        (Get-Sandbox -Label @{ team = $team; role = '*' }).Name | Should -Be $labelled.Name
        (Get-Sandbox -Label @{ team = $team; role = $null }).Name | Should -Be $labelled.Name
        Get-Sandbox -Name $other.Name -Label @{ role = 'db' } | Should -BeNullOrEmpty
        { Get-Sandbox -Label @{ '' = 'x' } -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxInvalidLabel,SandboxModule.GetSandboxCommand'
        $labelled, $other | Remove-Sandbox -Force
    }
}
