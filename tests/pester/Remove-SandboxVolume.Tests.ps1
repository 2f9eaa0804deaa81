# Pester 5 tests of Remove-SandboxVolume against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Get-SandboxVolume -Connection $script:ctx.Connection -ErrorAction SilentlyContinue |
        Remove-SandboxVolume -Force -Connection $script:ctx.Connection -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Remove-SandboxVolume' {
    It 'removes a volume' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        Remove-SandboxVolume -Name $name -Force
        Get-SandboxVolume -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'removes volumes from the pipeline' {
        $prefix = New-TestName -Prefix 'rm'
        1..2 | ForEach-Object { New-SandboxVolume -Name "$prefix-$_" -Size 16Mi } | Out-Null
        Get-SandboxVolume -Name "$prefix-*" | Remove-SandboxVolume -Force
        Get-SandboxVolume -Name "$prefix-*" | Should -BeNullOrEmpty
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        Remove-SandboxVolume -Name $name -WhatIf
        Get-SandboxVolume -Name $name | Should -Not -BeNullOrEmpty
    }

    It 'reports a volume that a template mounts as VolumeInUse' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        $template = New-SandboxTemplate -Name (New-TestName -Prefix 'tpl') -Image host -VolumeMount @{ Volume = $name; Path = '/data' }
        { Remove-SandboxVolume -Name $name -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeInUse,SandboxModule.RemoveSandboxVolumeCommand'
        Remove-SandboxTemplate -Name $template.Name -Force
        Remove-SandboxVolume -Name $name -Force
    }

    It 'reports a missing volume as VolumeNotFound' {
        { Remove-SandboxVolume -Name 'no-such-volume' -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeNotFound,SandboxModule.RemoveSandboxVolumeCommand'
    }
}
