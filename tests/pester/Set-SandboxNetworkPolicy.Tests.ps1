# Pester 5 tests of Set-SandboxNetworkPolicy against a private local server (see Common.ps1).
# No test sends network traffic: they check the policy the server reports and the interfaces inside the sandbox.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Set-SandboxNetworkPolicy' {
    It 'reports deny-all by default and opens the network with allow-all' {
        $sandbox = New-Sandbox -Template base
        $sandbox.NetworkPolicy.Mode | Should -Be 'deny-all'
        $updated = Set-SandboxNetworkPolicy -Name $sandbox.Name -Mode allow-all -PassThru
        $updated.NetworkPolicy.Mode | Should -Be 'allow-all'
        (Invoke-SandboxCommand 'ip -o link' -Sandbox $sandbox.Name).Stdout | Should -Match 'eth0'
        Set-SandboxNetworkPolicy -Name $sandbox.Name -Mode deny-all
        (Get-Sandbox -Name $sandbox.Name).NetworkPolicy.Mode | Should -Be 'deny-all'
        (Invoke-SandboxCommand 'ip -o link' -Sandbox $sandbox.Name).Stdout | Should -Not -Match 'eth0'
    }

    It 'makes a custom policy from -AllowCidr alone' {
        $sandbox = New-Sandbox -Template base
        Get-Sandbox -Name $sandbox.Name | Set-SandboxNetworkPolicy -AllowCidr '192.0.2.0/24'
        $policy = (Get-Sandbox -Name $sandbox.Name).NetworkPolicy
        $policy.Mode | Should -Be 'custom'
        $policy.AllowCidrs | Should -Be @('192.0.2.0/24')
    }

    It 'creates a sandbox with New-Sandbox -NetworkPolicy' {
        $sandbox = New-Sandbox -Template base -NetworkPolicy allow-all
        $sandbox.NetworkPolicy.Mode | Should -Be 'allow-all'
    }

    It 'does nothing with -WhatIf' {
        $sandbox = New-Sandbox -Template base
        Set-SandboxNetworkPolicy -Name $sandbox.Name -Mode allow-all -WhatIf
        (Get-Sandbox -Name $sandbox.Name).NetworkPolicy.Mode | Should -Be 'deny-all'
    }

    It 'rejects lists with a mode other than custom' {
        $sandbox = New-Sandbox -Template base
        { Set-SandboxNetworkPolicy -Name $sandbox.Name -Mode allow-all -AllowCidr '192.0.2.0/24' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidNetworkPolicy,SandboxModule.SetSandboxNetworkPolicyCommand'
    }

    It 'reports a CIDR the server rejects as a validation error' {
        $sandbox = New-Sandbox -Template base
        { Set-SandboxNetworkPolicy -Name $sandbox.Name -AllowCidr 'not-a-cidr' -ErrorAction Stop } | Should -Throw
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Set-SandboxNetworkPolicy -Name (New-TestName -Prefix 'missing') -Mode deny-all -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.SetSandboxNetworkPolicyCommand'
    }
}
