# Pester 5 tests of New-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'New-Sandbox' {
    It 'creates a ready sandbox from a template' {
        $name = New-TestName
        $sandbox = New-Sandbox -Template base -Name $name
        $sandbox | Should -BeOfType ([Sandbox.Client.Sandbox])
        $sandbox.Name | Should -Be $name
        $sandbox.Status | Should -Be 'ready'
        $sandbox.TemplateName | Should -Be 'base'
    }

    It 'takes -Vcpu, -MemoryMB, -TimeToLive and -IdleTimeout' {
        $sandbox = New-Sandbox -Template base -Vcpu 2 -MemoryMB 256 -TimeToLive 10m -IdleTimeout 120
        $sandbox.Vcpus | Should -Be 2
        $sandbox.MemoryMB | Should -Be 256
        $sandbox.TtlSeconds | Should -Be 600
        $sandbox.IdleTtlSeconds | Should -Be 120
    }

    It 'gives a sandbox made the README''s way on the local server a finite lifetime' -Tag 'Issue13', 'Issue13.P6' {
        $name = New-TestName
        $result = New-Sandbox -Template python -Name $name | Invoke-SandboxCommand 'python --version'
        $result.Output | Should -Match '^Python 3'
        $sandbox = Get-Sandbox -Name $name
        $sandbox.IdleTtlSeconds | Should -Be 600
        $sandbox.DeleteAfterStopSeconds | Should -Be 600
    }

    It 'keeps only the lifetime given when one is given' {
        $sandbox = New-Sandbox -Template base -IdleTimeout 0
        $sandbox.IdleTtlSeconds | Should -BeIn @($null, 0)
        $sandbox.DeleteAfterStopSeconds | Should -BeIn @($null, 0)
        $sandbox = New-Sandbox -Template base -DeleteAfterStop 1h
        $sandbox.DeleteAfterStopSeconds | Should -Be 3600
        $sandbox.IdleTtlSeconds | Should -BeIn @($null, 0)
    }

    It 'sets -Environment for every command' {
        $sandbox = New-Sandbox -Template base -Environment @{ GREETING = 'hello' }
        ($sandbox | Invoke-SandboxCommand 'echo $GREETING').Stdout.Trim() | Should -Be 'hello'
    }

    It 'pauses instead of deleting at -TimeToLive with -AutoPause' {
        $sandbox = New-Sandbox -Template base -TimeToLive 1 -AutoPause
        $deadline = (Get-Date).AddSeconds(6)
        while ((Get-Sandbox -Name $sandbox.Name).Status -ne 'paused' -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-Sandbox -Name $sandbox.Name).Status | Should -Be 'paused'
    }

    It 'returns at once with -NoWait' {
        $sandbox = New-Sandbox -Template base -NoWait
        $sandbox.Status | Should -BeIn @('provisioning', 'ready')
        ($sandbox | Wait-Sandbox -PassThru).Status | Should -Be 'ready'
    }

    It 'binds -Template by property name from Get-SandboxTemplate, without taking the template''s Name for the sandbox''s' {
        $sandbox = Get-SandboxTemplate -Name base | New-Sandbox
        $sandbox.TemplateName | Should -Be 'base'
        $sandbox.Name | Should -Not -Be 'base'
        $named = Get-SandboxTemplate -Name base | New-Sandbox -Name (New-TestName -Prefix 'tpl')
        $named.Name | Should -BeLike 'tpl-*'
        $sandbox, $named | Remove-Sandbox -Force
    }

    It 'names each sandbox from a Name column of Import-Csv (with its Template or Snapshot column), also with -AsJob' -Tag 'Issue13', 'Issue13.P7' {
        $names = 1..2 | ForEach-Object { New-TestName -Prefix 'csv' }
        $csv = Join-Path $TestDrive 'sandboxes.csv'
        @([pscustomobject]@{ Name = $names[0]; Template = 'base' }, [pscustomobject]@{ Name = $names[1]; Template = 'base' }) | Export-Csv -LiteralPath $csv
        $made = Import-Csv -LiteralPath $csv | New-Sandbox
        $made.Name | Should -Be $names
        $made.TemplateName | Should -Be @('base', 'base')
        $made | Remove-Sandbox -Force

        $snapName = New-TestName -Prefix 'csvsnap'
        $snap = New-SandboxSnapshot -Image base -Name $snapName
        $fromSnap = [pscustomobject]@{ Name = $names[0]; Snapshot = $snapName } | New-Sandbox
        $fromSnap.Name | Should -Be $names[0]
        $fromSnap.SnapshotId | Should -Be $snap.Id
        $fromSnap | Remove-Sandbox -Force
        # A Name column alone: the server's default, under that name.
        $plain = [pscustomobject]@{ Name = $names[0] } | New-Sandbox
        $plain.Name | Should -Be $names[0]
        $plain.TemplateName | Should -BeNullOrEmpty
        $plain | Remove-Sandbox -Force

        $job = [pscustomobject]@{ Name = $names[1]; Template = 'base' } | New-Sandbox -AsJob
        ($job | Receive-Job -Wait).Name | Should -Be $names[1]
        $job | Remove-Job
        # A piped sandbox lends its template, not its name.
        $twin = Get-Sandbox -Name $names[1] | New-Sandbox
        $twin.TemplateName | Should -Be 'base'
        $twin.Name | Should -Not -Be $names[1]
        $twin | Remove-Sandbox -Force
        # A piped snapshot still names nothing, -AsJob or not.
        $viaJob = $snap | New-Sandbox -AsJob | Receive-Job -Wait
        $viaJob.SnapshotId | Should -Be $snap.Id
        $viaJob.Name | Should -Not -Be $snapName
        Remove-Sandbox -Name $names[1], $viaJob.Name -Force
        $snap | Remove-SandboxSnapshot -Force
    }

    It 'refuses an unquoted 2d (a decimal to PowerShell) instead of reading it as 2 seconds, and takes it quoted' {
        $e = { New-Sandbox -Template base -TimeToLive 2d -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,SandboxModule.NewSandboxCommand' -PassThru
        $e.Exception.Message | Should -Match "Quote the duration \('2d'\)"
        { Start-SandboxServer -IdleShutdown 31d -WhatIf -ErrorAction Stop } | Should -Throw -ExpectedMessage "*Quote the duration*"
        { New-Sandbox -Template base -TimeToLive '2d' -WhatIf } | Should -Not -Throw
    }

    It 'pipes into Invoke-SandboxCommand' {
        (New-Sandbox -Template base | Invoke-SandboxCommand 'echo ok').Stdout.Trim() | Should -Be 'ok'
    }

    It 'does nothing with -WhatIf' {
        $name = New-TestName
        New-Sandbox -Template base -Name $name -WhatIf
        Get-Sandbox -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'reports an unknown template as TemplateNotFound' {
        { New-Sandbox -Template (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.NewSandboxCommand'
    }

    It 'reports a taken name as SandboxAlreadyExists' {
        $name = New-TestName
        New-Sandbox -Template base -Name $name | Out-Null
        New-Sandbox -Template base -Name $name -ErrorAction SilentlyContinue -ErrorVariable err | Out-Null
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxAlreadyExists,SandboxModule.NewSandboxCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].TargetObject | Should -Be $name
    }

    It 'starts a sandbox from a snapshot with -Snapshot and from the pipeline' {
        $source = New-Sandbox -Template base
        $source | Invoke-SandboxCommand 'echo from-snap > /home/user/s.txt' | Out-Null
        $snap = $source | New-SandboxSnapshot -Name (New-TestName -Prefix 'snap')
        $a = New-Sandbox -Snapshot $snap.Id
        $a.SnapshotId | Should -Be $snap.Id
        ($a | Invoke-SandboxCommand 'cat /home/user/s.txt').Stdout.Trim() | Should -Be 'from-snap'
        $b = $snap | New-Sandbox
        $b.SnapshotId | Should -Be $snap.Id
        $b.Name | Should -Not -Be $snap.Name
        $a, $b, $source | Remove-Sandbox -Force
        $snap | Remove-SandboxSnapshot -Force
    }

    It 'boots the server''s default (python) without -Template or -Snapshot' {
        $sandbox = New-Sandbox
        $sandbox.Status | Should -Be 'ready'
        $sandbox.TemplateName | Should -BeNullOrEmpty
        $result = $sandbox | Invoke-SandboxCommand 'python3 --version'
        $result.ExitCode | Should -Be 0
        ($result.Stdout + $result.Stderr).Trim() | Should -BeLike 'Python 3*'
        (Get-Command New-Sandbox).Parameters['Template'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).Mandatory | Should -Not -Contain $true
    }

    It 'runs every command as -RunAs in -WorkingDirectory with -Environment' {
        $sandbox = New-Sandbox -RunAs user -WorkingDirectory /tmp -Environment @{ RC_VAR = 'set' }
        $sandbox.RunConfig.User | Should -Be 'user'
        $sandbox.RunConfig.WorkingDirectory | Should -Be '/tmp'
        ($sandbox | Invoke-SandboxCommand 'id -un; pwd; echo $RC_VAR').Stdout | Should -Be "user`n/tmp`nset`n"
    }

    It 'makes a relative -WorkingDirectory absolute under /home/user' {
        $sandbox = New-Sandbox -Template base -WorkingDirectory .
        $sandbox.RunConfig.WorkingDirectory | Should -Be '/home/user/.'
        ($sandbox | Invoke-SandboxCommand 'pwd').Stdout.Trim() | Should -Be '/home/user'
    }

    It 'shows -DeleteAfterStop in the object and StoppedAt once stopped' {
        $sandbox = New-Sandbox -Template base -DeleteAfterStop 2h
        $sandbox.DeleteAfterStopSeconds | Should -Be 7200
        $sandbox.StoppedAt | Should -BeNullOrEmpty
        $stopped = $sandbox | Stop-Sandbox -PassThru
        $stopped.StoppedAt | Should -Not -BeNullOrEmpty
        (Get-Sandbox -Name $sandbox.Name).DeleteAfterStopSeconds | Should -Be 7200
    }

    It 'deletes a stopped sandbox after -DeleteAfterStop' {
        $sandbox = New-Sandbox -Template base -DeleteAfterStop 1
        $sandbox | Stop-Sandbox
        $deadline = (Get-Date).AddSeconds(8)
        while ((Get-Sandbox -Name $sandbox.Name -ErrorAction SilentlyContinue) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
        Get-Sandbox -Name $sandbox.Name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'rejects a -DeleteAfterStop that is not a duration' {
        { New-Sandbox -Template base -DeleteAfterStop soon -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,SandboxModule.NewSandboxCommand'
    }

    It 'starts from a snapshot by name and name:tag with -Snapshot' {
        $source = New-Sandbox -Template base
        $source | Invoke-SandboxCommand 'echo by-name > /home/user/n.txt' | Out-Null
        $snap = $source | New-SandboxSnapshot -Name (New-TestName -Prefix 'snap')
        foreach ($reference in "$($snap.Name):latest", $snap.Name) {
            $copy = New-Sandbox -Snapshot $reference
            $copy.SnapshotId | Should -Be $snap.Id
            ($copy | Invoke-SandboxCommand 'cat /home/user/n.txt').Stdout.Trim() | Should -Be 'by-name'
            $copy | Remove-Sandbox -Force
        }
        { New-Sandbox -Snapshot "$($snap.Name):no-such-tag" -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.NewSandboxCommand'
        $source | Remove-Sandbox -Force
        $snap | Remove-SandboxSnapshot -Force
    }

    It 'reports an unknown snapshot as SnapshotNotFound' {
        { New-Sandbox -Snapshot ([guid]::NewGuid().ToString()) -ErrorAction Stop } |
            Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.NewSandboxCommand'
    }

    It 'sets -Label and refuses a bad label key naming -Label' {
        $team = New-TestName -Prefix 'team'
        $box = New-Sandbox -Template base -Label @{ team = $team; tier = 2 }
        $box.Labels['team'] | Should -Be $team
        $box.Labels['tier'] | Should -Be '2'
        (Get-Sandbox -Label @{ team = $team }).Name | Should -Be $box.Name
        $box | Remove-Sandbox -Force
        $e = { New-Sandbox -Template base -Label @{ 'a b' = 'x' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidLabel,SandboxModule.NewSandboxCommand' -PassThru
        $e.Exception.Message | Should -Match "-Label: the key 'a b'"
    }

    It 'shows run settings, labels and lifetimes after a stop in the list view' {
        $box = New-Sandbox -Template base -RunAs user -WorkingDirectory /tmp -Environment @{ SECRET_TOKEN = 'hidden-value' } -DeleteAfterStop 1h -Label @{ app = 'x' }
        Stop-Sandbox -Name $box.Name
        $text = Get-Sandbox $box.Name | Format-List | Out-String -Width 200
        $text | Should -Match 'RunConfig\s*:\s*user=user dir=/tmp'
        $text | Should -Not -Match 'hidden-value'
        $text | Should -Match 'DeleteAfterStopSeconds\s*:\s*3600'
        $text | Should -Match 'StoppedAt\s*:\s*\S'
        $text | Should -Match 'Labels\s*:\s*app=x'
        $box | Remove-Sandbox -Force
    }

    It 'creates a sandbox in a job with -AsJob' -Tag 'Issue13', 'Issue13.P10' {
        $name = New-TestName -Prefix 'job'
        $job = New-Sandbox -Template base -Name $name -AsJob
        try {
            $job.PSJobTypeName | Should -Be 'SandboxJob'
            $created = $job | Receive-Job -Wait
            $created | Should -BeOfType ([Sandbox.Client.Sandbox])
            $created.Name | Should -Be $name
            (Get-Sandbox -Name $name).IsReady | Should -BeTrue
        }
        finally {
            $job | Remove-Job -Force
            Get-Sandbox -Name $name -ErrorAction SilentlyContinue | Remove-Sandbox -Force
        }
    }
}
