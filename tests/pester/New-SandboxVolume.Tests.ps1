# Pester 5 tests of New-SandboxVolume against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Get-SandboxVolume -Connection $script:ctx.Connection -ErrorAction SilentlyContinue |
        Remove-SandboxVolume -Force -Connection $script:ctx.Connection -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'New-SandboxVolume' {
    It 'creates a volume from a quantity' {
        $name = New-TestName -Prefix 'vol'
        $volume = New-SandboxVolume -Name $name -Size 16Mi
        $volume | Should -BeOfType ([Sandbox.Client.SandboxVolume])
        $volume.Name | Should -Be $name
        $volume.Size | Should -Be '16Mi'
        $volume.SizeBytes | Should -Be 16MB
    }

    It 'creates a volume from a number of bytes' {
        (New-SandboxVolume -Name (New-TestName -Prefix 'vol') -Size 32MB).Size | Should -Be '32Mi'
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi -WhatIf
        Get-SandboxVolume -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports a taken name as VolumeAlreadyExists' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        { New-SandboxVolume -Name $name -Size 16Mi -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeAlreadyExists,SandboxModule.NewSandboxVolumeCommand'
    }

    It 'rejects a size that is not a size' {
        { New-SandboxVolume -Name (New-TestName -Prefix 'vol') -Size 'lots' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidSize,SandboxModule.NewSandboxVolumeCommand'
    }

    It 'gives sandboxes of a template that mounts it a size-limited, lasting filesystem' {
        $volume = New-SandboxVolume -Name (New-TestName -Prefix 'vol') -Size 16Mi
        $template = New-SandboxTemplate -Name (New-TestName -Prefix 'tpl') -Image host -VolumeMount @{ Volume = $volume.Name; Path = '/data' }
        $template.VolumeMounts[0].MountPath | Should -Be '/data'
        New-Sandbox -Template $template.Name | Invoke-SandboxCommand 'echo kept > /data/f' | Out-Null
        $box = New-Sandbox -Template $template.Name
        ($box | Invoke-SandboxCommand 'cat /data/f').Stdout.Trim() | Should -Be 'kept'
        ($box | Invoke-SandboxCommand 'head -c 32M /dev/zero > /data/big').Stderr | Should -Match 'No space left on device'
    }
}
