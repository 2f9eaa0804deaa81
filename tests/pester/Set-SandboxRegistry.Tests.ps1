# Pester 5 tests of Set-SandboxRegistry against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:cred = [pscredential]::new('first', (ConvertTo-SecureString 'first-secret' -AsPlainText -Force))
}

AfterAll {
    Get-SandboxRegistry -ErrorAction SilentlyContinue | Remove-SandboxRegistry -Force -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Set-SandboxRegistry' {
    It 'changes the address and the credentials, keeping what is not given, never showing the password' {
        $reg = New-SandboxRegistry (New-TestName -Prefix 'sreg') ghcr.io/old -Credential $script:cred
        $secret = 'tok-' + [guid]::NewGuid().ToString('N')
        $new = [pscredential]::new('second', (ConvertTo-SecureString $secret -AsPlainText -Force))
        $changed = $reg | Set-SandboxRegistry -Credential $new -PassThru
        $changed.Id | Should -Be $reg.Id
        $changed.Url | Should -Be 'ghcr.io/old'
        ($changed | ConvertTo-Json) | Should -Not -Match $secret
        Get-Content -LiteralPath (Join-Path $script:ctx.DataDirectory "registries/$($reg.Id).password") -Raw | Should -Be $secret
        Set-SandboxRegistry -Name $reg.Name -Url https://registry.example.test:5000/new | Should -BeNullOrEmpty
        (Get-SandboxRegistry $reg.Name).Url | Should -Be 'https://registry.example.test:5000/new'
        Get-Content -LiteralPath (Join-Path $script:ctx.DataDirectory "registries/$($reg.Id).password") -Raw | Should -Be $secret
    }

    It 'refuses a call that changes nothing, and an empty password, before sending anything' {
        { Set-SandboxRegistry -Name 'any' -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxNothingToChange,SandboxModule.SetSandboxRegistryCommand'
        $empty = [pscredential]::new('u', [securestring]::new())
        { Set-SandboxRegistry -Name 'any' -Credential $empty -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxInvalidCredential,SandboxModule.SetSandboxRegistryCommand'
    }

    It 'names -Url in a bad address, reports a missing registry, and does nothing with -WhatIf' {
        $reg = New-SandboxRegistry (New-TestName -Prefix 'sreg') ghcr.io -Credential $script:cred
        $e = { Set-SandboxRegistry $reg.Name -Url 'ftp://x' -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxValidationFailed,SandboxModule.SetSandboxRegistryCommand' -PassThru
        $e.ErrorDetails.Message | Should -Match '-Url'
        { Set-SandboxRegistry 'no-such-registry' -Url ghcr.io -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.SetSandboxRegistryCommand'
        Set-SandboxRegistry $reg.Name -Url ghcr.io/changed -WhatIf
        (Get-SandboxRegistry $reg.Name).Url | Should -Be 'ghcr.io'
    }
}
