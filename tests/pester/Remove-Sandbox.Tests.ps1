# Pester 5 tests of Remove-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Remove-Sandbox' {
    It 'deletes a sandbox by name with -Force' {
        $sandbox = New-Sandbox -Template base
        Remove-Sandbox -Name $sandbox.Name -Force
        Get-Sandbox -Name $sandbox.Name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'deletes a sandbox named in another case' {
        $sandbox = New-Sandbox -Template base -Name (New-TestName -Prefix 'case')
        Remove-Sandbox -Name $sandbox.Name.ToUpperInvariant() -Force
        Get-Sandbox -Name $sandbox.Name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'deletes what Get-Sandbox pipes in' {
        $prefix = New-TestName -Prefix 'rm'
        New-Sandbox -Template base -Name "$prefix-1" | Out-Null
        New-Sandbox -Template base -Name "$prefix-2" | Out-Null
        Get-Sandbox -Name "$prefix-*" | Remove-Sandbox -Force
        Get-Sandbox -Name "$prefix-*" | Should -BeNullOrEmpty
    }

    It 'expands wildcards in -Name' {
        $prefix = New-TestName -Prefix 'rmw'
        New-Sandbox -Template base -Name "$prefix-1" | Out-Null
        Remove-Sandbox -Name "$prefix-*" -Force
        Get-Sandbox -Name "$prefix-*" | Should -BeNullOrEmpty
    }

    It 'declares ConfirmImpact High' {
        $attribute = (Get-Command Remove-Sandbox).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attribute.ConfirmImpact | Should -Be 'High'
    }

    It 'does nothing with -WhatIf, even with -Force' {
        $sandbox = New-Sandbox -Template base
        Remove-Sandbox -Name $sandbox.Name -Force -WhatIf
        Get-Sandbox -Name $sandbox.Name | Should -Not -BeNullOrEmpty
    }

    It 'returns the deleted sandbox with -PassThru' {
        $sandbox = New-Sandbox -Template base
        ($sandbox | Remove-Sandbox -Force -PassThru).Name | Should -Be $sandbox.Name
    }

    It 'writes a non-terminating SandboxNotFound error and goes on' {
        $sandbox = New-Sandbox -Template base
        $missing = New-TestName -Prefix 'missing'
        Remove-Sandbox -Name $missing, $sandbox.Name -Force -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxNotFound,SandboxModule.RemoveSandboxCommand'
        $err[0].TargetObject | Should -Be $missing
        Get-Sandbox -Name $sandbox.Name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
