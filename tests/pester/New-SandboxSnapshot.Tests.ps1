# Pester 5 tests of New-SandboxSnapshot against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'New-SandboxSnapshot' {
    It 'captures a sandbox from the pipeline and waits until it is ready' {
        $box = New-Sandbox -Template base
        $box | Invoke-SandboxCommand 'echo snap > /home/user/snap.txt' | Out-Null
        $name = New-TestName -Prefix 'snap'
        $snap = $box | New-SandboxSnapshot -Name $name
        $snap | Should -BeOfType ([Sandbox.Client.SandboxSnapshot])
        $snap.Name | Should -Be $name
        $snap.Status | Should -Be 'ready'
        $snap.SourceSandboxId | Should -Be $box.Id
        $snap | Remove-SandboxSnapshot -Force
        $box | Remove-Sandbox -Force
    }

    It 'returns at once with -NoWait' {
        $box = New-Sandbox -Template base
        $snap = New-SandboxSnapshot -Sandbox $box.Name -Name (New-TestName -Prefix 'snap') -NoWait
        $snap.Status | Should -BeIn @('building', 'ready')
        Remove-SandboxSnapshot -Id $snap.Id -Force
        $box | Remove-Sandbox -Force
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { New-SandboxSnapshot -Sandbox 'no-such-sandbox' -Name (New-TestName -Prefix 'snap') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.NewSandboxSnapshotCommand'
    }

    It 'does nothing with -WhatIf' {
        $box = New-Sandbox -Template base
        $name = New-TestName -Prefix 'snap'
        $box | New-SandboxSnapshot -Name $name -WhatIf
        Get-SandboxSnapshot -Name "$name*" | Should -BeNullOrEmpty
        $box | Remove-Sandbox -Force
    }

    It 'captures with -Tag and -Label, found by name:tag' {
        $box = New-Sandbox -Template base
        $name = New-TestName -Prefix 'snap'
        $snap = $box | New-SandboxSnapshot -Name $name -Tag v1 -Label @{ team = 'data'; tier = 1 }
        $snap.Tags | Should -Be @('v1')
        $snap.Labels['team'] | Should -Be 'data'
        $snap.Labels['tier'] | Should -Be '1'
        (Get-SandboxSnapshot "${name}:v1").Id | Should -Be $snap.Id
        $snap | Remove-SandboxSnapshot -Force
        $box | Remove-Sandbox -Force
    }

    It 'imports a built-in image with -Image and starts a sandbox from name:tag' {
        $name = New-TestName -Prefix 'img'
        $snap = New-SandboxSnapshot -Image python -Name $name -Tag '3.x'
        $snap.Status | Should -Be 'ready'
        $snap.DockerImage | Should -Be 'python'
        $snap.Tags | Should -Be @('3.x')
        $box = New-Sandbox -Snapshot "${name}:3.x"
        ($box | Invoke-SandboxCommand 'python3 -c "print(6*7)"').Stdout.Trim() | Should -Be '42'
        $box | Remove-Sandbox -Force
        $snap | Remove-SandboxSnapshot -Force
    }

    It 'gives the sandboxes of a snapshot its -RunAs, -WorkingDirectory and -Environment, under their own and each command''s' {
        $name = New-TestName -Prefix 'rc'
        $snap = New-SandboxSnapshot -Image base -Name $name -RunAs user -WorkingDirectory /tmp -Environment @{ FROM = 'snapshot'; KEEP = 'snapshot' }
        $snap.RunConfig.User | Should -Be 'user'
        $snap.RunConfig.WorkingDirectory | Should -Be '/tmp'
        $snap.RunConfig.Environment['FROM'] | Should -Be 'snapshot'
        $box = New-Sandbox -Snapshot $name -Environment @{ FROM = 'sandbox' }
        ($box | Invoke-SandboxCommand 'echo "$(id -un) $(pwd) $FROM $KEEP"').Output | Should -Be 'user /tmp sandbox snapshot'
        ($box | Invoke-SandboxCommand 'echo "$(id -un) $(pwd)"' -RunAs root -WorkingDirectory /).Output | Should -Be 'root /'
        # A capture carries the sandbox's settings, then its own.
        $copyName = New-TestName -Prefix 'rc'
        $copy = $box | New-SandboxSnapshot -Name $copyName -WorkingDirectory /etc
        $copy.RunConfig.User | Should -Be 'user'
        $copy.RunConfig.WorkingDirectory | Should -Be '/etc'
        $box | Remove-Sandbox -Force
        $copy, $snap | Remove-SandboxSnapshot -Force
    }

    It 'resolves a relative -Image path and reports an image that is not one as SnapshotFailed' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) (New-TestName -Prefix 'img-dir')
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'bogus.tar') -Value 'not a tarball'
        Push-Location $dir
        try {
            $name = New-TestName -Prefix 'img'
            New-SandboxSnapshot -Image ./bogus.tar -Name $name -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -Be 'SnapshotFailed,SandboxModule.NewSandboxSnapshotCommand'
            $failed = Get-SandboxSnapshot -Name $name
            $failed.DockerImage | Should -Be (Join-Path $dir 'bogus.tar')
            $failed | Remove-SandboxSnapshot -Force
        }
        finally {
            Pop-Location
            Remove-Item -LiteralPath $dir -Recurse -Force
        }
    }

    It 'refuses an -Image path that does not exist, naming the parameter and what it takes' {
        $e = { New-SandboxSnapshot -Image ./no/such/image.tar -Name (New-TestName -Prefix 'img') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxImageNotFound,SandboxModule.NewSandboxSnapshotCommand' -PassThru
        $e.Exception.Message | Should -Match '-Image'
        $e.Exception.Message | Should -Match 'python, base'
    }

    It 'refuses a bad -Tag and a bad -Label key before sending anything' {
        $e = { New-SandboxSnapshot -Image base -Name (New-TestName -Prefix 'img') -Tag '.bad' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidTag,SandboxModule.NewSandboxSnapshotCommand' -PassThru
        $e.Exception.Message | Should -Match '-Tag'
        $e = { New-SandboxSnapshot -Image base -Name (New-TestName -Prefix 'img') -Label @{ '-x' = 'y' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidLabel,SandboxModule.NewSandboxSnapshotCommand' -PassThru
        $e.Exception.Message | Should -Match '-Label'
        { New-SandboxSnapshot -Image base -Name (New-TestName -Prefix 'img') -Label @{ k = $null } -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidLabel,SandboxModule.NewSandboxSnapshotCommand'
    }

    It 'names a missing -Registry as RegistryNotFound' {
        { New-SandboxSnapshot -Image registry.example.test/app:1 -Registry no-such-registry -Name (New-TestName -Prefix 'img') -ErrorAction Stop } |
            Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.NewSandboxSnapshotCommand'
    }
}
