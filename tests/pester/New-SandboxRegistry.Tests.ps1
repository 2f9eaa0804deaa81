# Pester 5 tests of New-SandboxRegistry against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:secret = 'pw-' + [guid]::NewGuid().ToString('N')
    $script:cred = [pscredential]::new('puller', (ConvertTo-SecureString $script:secret -AsPlainText -Force))
}

AfterAll {
    Get-SandboxRegistry -ErrorAction SilentlyContinue | Remove-SandboxRegistry -Force -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'New-SandboxRegistry' {
    It 'stores a registry and never shows the credentials' {
        $name = New-TestName -Prefix 'reg'
        $reg = New-SandboxRegistry -Name $name -Url ghcr.io/team -Credential $script:cred
        $reg | Should -BeOfType ([Sandbox.Client.SandboxRegistry])
        $reg.Name | Should -Be $name
        $reg.Url | Should -Be 'ghcr.io/team'
        $reg.AuthType | Should -Be 'DOCKER_CONFIG'
        $shown = ($reg | Format-List * | Out-String) + ($reg | ConvertTo-Json) + (Get-SandboxRegistry $name | Format-Table | Out-String)
        $shown | Should -Not -Match $script:secret
        $shown | Should -Not -Match 'puller'
        $password = Join-Path $script:ctx.DataDirectory "registries/$($reg.Id).password"
        Get-Content -LiteralPath $password -Raw | Should -Be $script:secret
    }

    It 'reports a taken name as RegistryAlreadyExists and a bad address naming url' {
        $name = New-TestName -Prefix 'reg'
        New-SandboxRegistry $name ghcr.io -Credential $script:cred | Out-Null
        { New-SandboxRegistry $name ghcr.io -Credential $script:cred -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryAlreadyExists,SandboxModule.NewSandboxRegistryCommand'
        $e = { New-SandboxRegistry (New-TestName -Prefix 'reg') 'ftp://x' -Credential $script:cred -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxValidationFailed,SandboxModule.NewSandboxRegistryCommand' -PassThru
        $e.Exception.Message | Should -Match 'url'
    }

    It 'refuses an empty password before sending anything' {
        $empty = [pscredential]::new('u', [securestring]::new())
        $e = { New-SandboxRegistry (New-TestName -Prefix 'reg') ghcr.io -Credential $empty -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidCredential,SandboxModule.NewSandboxRegistryCommand' -PassThru
        $e.Exception.Message | Should -Match '-Credential'
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'reg'
        New-SandboxRegistry $name ghcr.io -Credential $script:cred -WhatIf
        Get-SandboxRegistry "$name*" | Should -BeNullOrEmpty
    }
}
