# Pester 5 tests of Remove-SandboxRegistry against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:cred = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Remove-SandboxRegistry' {
    It 'deletes a registry by name with its stored password, and -PassThru returns it' {
        $reg = New-SandboxRegistry (New-TestName -Prefix 'rreg') ghcr.io -Credential $script:cred
        $password = Join-Path $script:ctx.DataDirectory "registries/$($reg.Id).password"
        Test-Path -LiteralPath $password | Should -BeTrue
        $gone = Remove-SandboxRegistry -Name $reg.Name -Force -PassThru
        $gone.Name | Should -Be $reg.Name
        { Get-SandboxRegistry $reg.Name -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.GetSandboxRegistryCommand'
        Test-Path -LiteralPath $password | Should -BeFalse
    }

    It 'deletes registries from the pipeline and by wildcard' {
        $prefix = New-TestName -Prefix 'rreg'
        New-SandboxRegistry "$prefix-a" ghcr.io -Credential $script:cred | Remove-SandboxRegistry -Force
        New-SandboxRegistry "$prefix-b" ghcr.io -Credential $script:cred | Out-Null
        New-SandboxRegistry "$prefix-c" ghcr.io -Credential $script:cred | Out-Null
        Remove-SandboxRegistry "$prefix-*" -Force
        Get-SandboxRegistry "$prefix-*" | Should -BeNullOrEmpty
    }

    It 'reports a missing registry as RegistryNotFound and keeps one with -WhatIf' {
        { Remove-SandboxRegistry 'no-such-registry' -Force -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.RemoveSandboxRegistryCommand'
        $reg = New-SandboxRegistry (New-TestName -Prefix 'rreg') ghcr.io -Credential $script:cred
        Remove-SandboxRegistry $reg.Name -WhatIf
        (Get-SandboxRegistry $reg.Name).Id | Should -Be $reg.Id
        $reg | Remove-SandboxRegistry -Force
    }
}
