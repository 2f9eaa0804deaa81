# Pester 5 tests of Rename-SandboxRegistry against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:cred = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
}

AfterAll {
    Get-SandboxRegistry -ErrorAction SilentlyContinue | Remove-SandboxRegistry -Force -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Rename-SandboxRegistry' {
    It 'renames a registry by name and from the pipeline, keeping its id' {
        $reg = New-SandboxRegistry (New-TestName -Prefix 'rreg') ghcr.io -Credential $script:cred
        $newName = New-TestName -Prefix 'rreg'
        Rename-SandboxRegistry -Name $reg.Name -NewName $newName | Should -BeNullOrEmpty
        (Get-SandboxRegistry $newName).Id | Should -Be $reg.Id
        $third = New-TestName -Prefix 'rreg'
        (Get-SandboxRegistry $newName | Rename-SandboxRegistry -NewName $third -PassThru).Name | Should -Be $third
        { Get-SandboxRegistry $newName -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.GetSandboxRegistryCommand'
    }

    It 'reports a taken name as RegistryAlreadyExists and a missing registry as RegistryNotFound' {
        $a = New-SandboxRegistry (New-TestName -Prefix 'rreg') ghcr.io -Credential $script:cred
        $b = New-SandboxRegistry (New-TestName -Prefix 'rreg') ghcr.io -Credential $script:cred
        { Rename-SandboxRegistry $a.Name -NewName $b.Name -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryAlreadyExists,SandboxModule.RenameSandboxRegistryCommand'
        { Rename-SandboxRegistry 'no-such-registry' -NewName 'x-y' -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.RenameSandboxRegistryCommand'
    }
}
