# Pester 5 tests of Resize-SandboxVolume against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Get-SandboxVolume -Connection $script:ctx.Connection -ErrorAction SilentlyContinue |
        Remove-SandboxVolume -Force -Connection $script:ctx.Connection -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Resize-SandboxVolume' {
    It 'grows a volume' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        (Resize-SandboxVolume -Name $name -Size 32Mi -PassThru).Size | Should -Be '32Mi'
    }

    It 'grows a volume from the pipeline' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Resize-SandboxVolume -Size 48MB
        (Get-SandboxVolume -Name $name).Size | Should -Be '48Mi'
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        Resize-SandboxVolume -Name $name -Size 32Mi -WhatIf
        (Get-SandboxVolume -Name $name).Size | Should -Be '16Mi'
    }

    It 'reports a shrink as a validation error' {
        $name = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 32Mi | Out-Null
        Resize-SandboxVolume -Name $name -Size 16Mi -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxValidationFailed,SandboxModule.ResizeSandboxVolumeCommand'
        $err[0].Exception.ErrorType | Should -Be 'ResizeError'
    }

    It 'reports a missing volume as VolumeNotFound' {
        { Resize-SandboxVolume -Name 'no-such-volume' -Size 1Gi -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeNotFound,SandboxModule.ResizeSandboxVolumeCommand'
    }
}
