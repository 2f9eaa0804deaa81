# Pester 5 tests of Rename-SandboxVolume against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Get-SandboxVolume -Connection $script:ctx.Connection -ErrorAction SilentlyContinue |
        Remove-SandboxVolume -Force -Connection $script:ctx.Connection -ErrorAction SilentlyContinue
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Rename-SandboxVolume' {
    It 'renames a volume' {
        $name = New-TestName -Prefix 'vol'
        $newName = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name $name -Size 16Mi | Out-Null
        (Rename-SandboxVolume -Name $name -NewName $newName -PassThru).Name | Should -Be $newName
        Get-SandboxVolume -Name $newName | Should -Not -BeNullOrEmpty
    }

    It 'renames a volume from the pipeline' {
        $newName = New-TestName -Prefix 'vol'
        New-SandboxVolume -Name (New-TestName -Prefix 'vol') -Size 16Mi | Rename-SandboxVolume -NewName $newName
        Get-SandboxVolume -Name $newName | Should -Not -BeNullOrEmpty
    }

    It 'reports a missing volume as VolumeNotFound' {
        { Rename-SandboxVolume -Name 'no-such-volume' -NewName (New-TestName) -ErrorAction Stop } |
            Should -Throw -ErrorId 'VolumeNotFound,SandboxModule.RenameSandboxVolumeCommand'
    }
}
