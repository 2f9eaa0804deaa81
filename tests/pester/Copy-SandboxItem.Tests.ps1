# Pester 5 tests of Copy-SandboxItem against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Copy-SandboxItem' {
    BeforeAll {
        $script:sandbox = New-Sandbox -Template base
        $script:local = Join-Path $TestDrive 'hello.txt'
        Set-Content -LiteralPath $script:local -Value 'hello from the host' -NoNewline
    }

    It 'uploads a file (-ToSandbox is the default)' {
        Copy-SandboxItem -Sandbox $script:sandbox -Path $script:local -Destination /home/user/hello.txt
        (Invoke-SandboxCommand 'cat /home/user/hello.txt' -Sandbox $script:sandbox).Stdout | Should -Be 'hello from the host'
    }

    It 'binds the sandbox from New-Sandbox in the pipeline' {
        $transfer = New-Sandbox -Template base | Copy-SandboxItem -Path $script:local -Destination /home/user/ -PassThru
        $transfer | Should -BeOfType ([Sandbox.Module.Support.SandboxFileTransfer])
        $transfer.Destination | Should -Be '/home/user/hello.txt'
        $transfer.Length | Should -Be 19
    }

    It 'downloads a file with -FromSandbox' {
        Invoke-SandboxCommand 'printf back > /home/user/back.txt' -Sandbox $script:sandbox | Out-Null
        $target = Join-Path $TestDrive 'back.txt'
        Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/back.txt -Destination $target
        Get-Content -LiteralPath $target -Raw | Should -Be 'back'
    }

    It 'round-trips a large file byte for byte' {
        $big = Join-Path $TestDrive 'big.bin'
        $bytes = [byte[]]::new(3 * 1024 * 1024)
        [System.Random]::new(7).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes($big, $bytes)
        Copy-SandboxItem -Sandbox $script:sandbox -Path $big -Destination big.bin
        $back = Join-Path $TestDrive 'big-back.bin'
        Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path big.bin -Destination $back
        (Get-FileHash $back).Hash | Should -Be (Get-FileHash $big).Hash
    }

    It 'reports a missing sandbox file as SandboxPathNotFound' {
        { Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /nope.txt -Destination (Join-Path $TestDrive 'x') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxPathNotFound,SandboxModule.CopySandboxItemCommand'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Copy-SandboxItem -Sandbox (New-TestName -Prefix 'missing') -Path $script:local -Destination x.txt -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.CopySandboxItemCommand'
    }
}
