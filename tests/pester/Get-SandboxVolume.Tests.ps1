# Pester 5 tests of Get-SandboxVolume against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Get-SandboxVolume -Connection $script:ctx.Connection -ErrorAction SilentlyContinue |
        Remove-SandboxVolume -Force -Connection $script:ctx.Connection -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxVolume' {
    It 'gets a volume by name and by wildcard' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        (Get-SandboxVolume -Name $name).Name | Should -Be $name
        (Get-SandboxVolume -Name 'vol-*').Name | Should -Contain $name
        Get-SandboxVolume | Should -Not -BeNullOrEmpty
    }

    It 'returns nothing for a pattern that matches nothing' {
        Get-SandboxVolume -Name 'nothing-like-this-*' | Should -BeNullOrEmpty
    }

    It 'reports a missing volume as VolumeNotFound' {
        { Get-SandboxVolume -Name 'no-such-volume' -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeNotFound,SandboxModule.GetSandboxVolumeCommand'
    }
}
