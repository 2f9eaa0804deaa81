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

    It 'leaves the old file in place when an upload is interrupted' -Tag 'Issue13', 'Issue13.P9' {
        Invoke-SandboxCommand 'printf old > /home/user/kept.txt' -Sandbox $script:sandbox | Out-Null
        # A FIFO as the source: the upload streams what is written to it and waits for more, so it is surely mid-way
        # (part of the body sent) when it is stopped, as with Ctrl+C.
        $fifo = Join-Path $TestDrive 'slow.fifo'
        mkfifo $fifo
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($manifest, $connection, $sandbox, $source)
                Import-Module $manifest
                Copy-SandboxItem -Sandbox $sandbox -Path $source -Destination /home/user/kept.txt -Connection $connection
            }).AddArgument($script:SandboxTestManifest).AddArgument($script:ctx.Connection).AddArgument($script:sandbox).AddArgument($fifo)
            # Opened for reading and writing, a FIFO never blocks its opener, whatever the copy does; FileShare.ReadWrite
            # because .NET locks what it opens, FIFOs included, and the copy's reader needs a shared lock.
            $writer = [System.IO.FileStream]::new($fifo, 'Open', 'ReadWrite', 'ReadWrite')
            $null = $ps.BeginInvoke()
            try {
                $writer.Write([byte[]]::new(256KB), 0, 256KB)
                $writer.Flush()
                Start-Sleep -Milliseconds 500
                $ps.InvocationStateInfo.State | Should -Be 'Running'
                # Ctrl+C: the stop waits for the read the upload is blocked in, so the writer closes after it is asked.
                $stop = $ps.BeginStop($null, $null)
                Start-Sleep -Milliseconds 300
            }
            finally {
                $writer.Dispose()
            }
            $ps.EndStop($stop)
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $ps.Dispose()
        }
        (Invoke-SandboxCommand 'cat /home/user/kept.txt' -Sandbox $script:sandbox).Stdout | Should -Be 'old'
        # Nothing half-written is left beside it either.
        (Invoke-SandboxCommand 'ls -A /home/user' -Sandbox $script:sandbox).Stdout -split "`n" | Where-Object { $_ -match 'kept' } | Should -Be 'kept.txt'
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

    It 'shows the total and the percent of a download in its progress' -Tag 'Issue13', 'Issue13.P9' {
        Invoke-SandboxCommand -Sandbox $script:sandbox 'head -c 3145728 /dev/urandom > /home/user/progress.bin' | Out-Null
        $target = Join-Path $TestDrive 'progress.bin'
        # Progress records cannot be redirected: run the copy in a runspace of this process and read its progress stream.
        $ps = [powershell]::Create()
        try {
            $ps.AddScript({
                    param($manifest, $name, $target)
                    Import-Module $manifest
                    Copy-SandboxItem -Sandbox $name -FromSandbox -Path /home/user/progress.bin -Destination $target
                }).AddArgument($script:SandboxTestManifest).AddArgument($script:sandbox.Name).AddArgument($target) | Out-Null
            $ps.Invoke() | Out-Null
            $ps.Streams.Error | Should -BeNullOrEmpty
            $records = @($ps.Streams.Progress | Where-Object RecordType -EQ Processing)
        }
        finally {
            $ps.Dispose()
        }
        $records.Count | Should -BeGreaterThan 0
        $records[-1].StatusDescription | Should -Match ' of 3\.0 MiB'
        $records[-1].PercentComplete | Should -BeIn (0..100)
        (Get-Item $target).Length | Should -Be 3145728
    }

    It 'resumes an interrupted download with -Resume, asking only for the rest while the file is unchanged' {
        Invoke-SandboxCommand -Sandbox $script:sandbox 'head -c 250000 /dev/urandom > /home/user/resume.bin' | Out-Null
        $whole = Join-Path $TestDrive 'resume-whole.bin'
        Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/resume.bin -Destination $whole
        # An interrupted download: the first 100000 bytes, fetched through a download link, and their ETag.
        $link = Get-SandboxUrl -Sandbox $script:sandbox -Path /home/user/resume.bin
        $target = Join-Path $TestDrive 'resume.bin'
        $head = Invoke-WebRequest -Uri $link.DownloadUrl -Headers @{ Range = 'bytes=0-99999' } -OutFile "$target.partial" -PassThru
        $head.StatusCode | Should -Be 206
        Set-Content -LiteralPath "$target.partial.etag" -Value ([string]$head.Headers['ETag']) -NoNewline
        (Get-Item "$target.partial").Length | Should -Be 100000

        $copy = Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/resume.bin -Destination $target -Resume -PassThru -Verbose 4>&1
        $verbose = $copy | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*resumed*' }
        $verbose.Message | Should -Match 'resumed at byte 100000, 150000 bytes received'
        ($copy | Where-Object { $_ -is [Sandbox.Module.Support.SandboxFileTransfer] }).Length | Should -Be 250000
        (Get-FileHash $target).Hash | Should -Be (Get-FileHash $whole).Hash
        Test-Path "$target.partial" | Should -BeFalse
        Test-Path "$target.partial.etag" | Should -BeFalse
    }

    It 'downloads the whole file again with -Resume when it changed since the partial download' {
        Invoke-SandboxCommand -Sandbox $script:sandbox 'head -c 50000 /dev/urandom > /home/user/changing.bin' | Out-Null
        $link = Get-SandboxUrl -Sandbox $script:sandbox -Path /home/user/changing.bin
        $target = Join-Path $TestDrive 'changing.bin'
        $head = Invoke-WebRequest -Uri $link.DownloadUrl -Headers @{ Range = 'bytes=0-9999' } -OutFile "$target.partial" -PassThru
        Set-Content -LiteralPath "$target.partial.etag" -Value ([string]$head.Headers['ETag']) -NoNewline
        Invoke-SandboxCommand -Sandbox $script:sandbox 'printf more >> /home/user/changing.bin' | Out-Null
        $copy = Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/changing.bin -Destination $target -Resume -PassThru -Verbose 4>&1
        $copy | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like '*resumed*' } | Should -BeNullOrEmpty
        ($copy | Where-Object { $_ -is [Sandbox.Module.Support.SandboxFileTransfer] }).Length | Should -Be 50004
        (Get-Item $target).Length | Should -Be 50004
    }

    It 'takes -Resume only with -FromSandbox' {
        { Copy-SandboxItem -Sandbox $script:sandbox -Path $script:local -Destination /home/user/x.txt -Resume -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxInvalidArgument,SandboxModule.CopySandboxItemCommand'
    }

    It 'reports a missing sandbox file as SandboxPathNotFound' {
        { Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /nope.txt -Destination (Join-Path $TestDrive 'x') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxPathNotFound,SandboxModule.CopySandboxItemCommand'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Copy-SandboxItem -Sandbox (New-TestName -Prefix 'missing') -Path $script:local -Destination x.txt -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.CopySandboxItemCommand'
    }

    It 'copies in a job with -AsJob, relative paths meaning the current directory' -Tag 'Issue13', 'Issue13.P10' {
        Push-Location $TestDrive
        try {
            $job = Copy-SandboxItem -Sandbox $script:sandbox -Path hello.txt -Destination /home/user/from-job.txt -PassThru -AsJob
            $job.PSJobTypeName | Should -Be 'SandboxJob'
            (Get-Job -Id $job.Id).Id | Should -Be $job.Id
            ($job | Receive-Job -Wait).Destination | Should -Be '/home/user/from-job.txt'
        }
        finally {
            Pop-Location
            $job | Remove-Job -Force
        }
        (Invoke-SandboxCommand 'cat /home/user/from-job.txt' -Sandbox $script:sandbox).Output | Should -Be 'hello from the host'
    }

    Context '-Recurse' {
        BeforeAll {
            $script:tree = Join-Path $TestDrive 'tree'
            New-Item -ItemType Directory -Path (Join-Path $script:tree 'a/b/c') -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $script:tree 'top.txt') -Value 'top' -NoNewline
            Set-Content -LiteralPath (Join-Path $script:tree 'a/b/c/deep.txt') -Value 'deep' -NoNewline
            Set-Content -LiteralPath (Join-Path $script:tree 'a/run.sh') -Value "#!/bin/sh`necho ran" -NoNewline
            chmod 755 (Join-Path $script:tree 'a/run.sh')
            New-Item -ItemType SymbolicLink -Path (Join-Path $script:tree 'a/link') -Target 'b/c/deep.txt' | Out-Null
        }

        It 'refuses a directory without -Recurse' {
            { Copy-SandboxItem -Sandbox $script:sandbox -Path $script:tree -Destination /home/user/x -ErrorAction Stop } |
                Should -Throw -ErrorId 'SandboxNotSupported,SandboxModule.CopySandboxItemCommand'
        }

        It 'round-trips a tree with nested directories, an executable bit and a symlink' -Tag 'Issue13', 'Issue13.P10' {
            $up = Copy-SandboxItem -Sandbox $script:sandbox -Path $script:tree -Destination /home/user/tree -Recurse -PassThru
            $up.Destination | Should -Be '/home/user/tree'
            $up.Files | Should -Be 3
            $inside = Invoke-SandboxCommand -Sandbox $script:sandbox 'cat tree/a/b/c/deep.txt; echo; ./tree/a/run.sh; readlink tree/a/link; cat tree/a/link; echo; stat -c %A tree/a/run.sh; ls -A /home/user | grep -c "^\.copy-" || true'
            $inside.Output -split "`n" | Should -Be @('deep', 'ran', 'b/c/deep.txt', 'deep', '-rwxr-xr-x', '0')

            $back = Join-Path $TestDrive 'back-tree'
            $down = Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/tree -Destination $back -Recurse -PassThru
            $down.Files | Should -Be 3
            Get-Content -LiteralPath (Join-Path $back 'a/b/c/deep.txt') -Raw | Should -Be 'deep'
            Get-Content -LiteralPath (Join-Path $back 'top.txt') -Raw | Should -Be 'top'
            (Get-Item -LiteralPath (Join-Path $back 'a/link')).LinkTarget | Should -Be 'b/c/deep.txt'
            (Get-Item -LiteralPath (Join-Path $back 'a/run.sh')).UnixFileMode.HasFlag([System.IO.UnixFileMode]::UserExecute) | Should -BeTrue
            (Get-Item -LiteralPath (Join-Path $back 'top.txt')).UnixFileMode.HasFlag([System.IO.UnixFileMode]::UserExecute) | Should -BeFalse
            Invoke-SandboxCommand -Sandbox $script:sandbox 'ls -A /tmp | grep -c "^\.sandbox-copy-" || true' | ForEach-Object Output | Should -Be '0'
        }

        It 'copies into an existing directory under the source name, and refuses a destination that exists' {
            Invoke-SandboxCommand -Sandbox $script:sandbox 'mkdir -p /home/user/into' | Out-Null
            $into = Copy-SandboxItem -Sandbox $script:sandbox -Path $script:tree -Destination /home/user/into -Recurse -PassThru
            $into.Destination | Should -Be '/home/user/into/tree'
            { Copy-SandboxItem -Sandbox $script:sandbox -Path $script:tree -Destination /home/user/into -Recurse -ErrorAction Stop } |
                Should -Throw -ErrorId 'SandboxDestinationExists,SandboxModule.CopySandboxItemCommand'

            $local = Join-Path $TestDrive 'local-into'
            New-Item -ItemType Directory -Path $local | Out-Null
            $down = Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/into/tree -Destination $local -Recurse -PassThru
            $down.Destination | Should -Be (Join-Path $local 'tree')
            { Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/into/tree -Destination $local -Recurse -ErrorAction Stop } |
                Should -Throw -ErrorId 'SandboxDestinationExists,SandboxModule.CopySandboxItemCommand'
        }

        It 'refuses to download a tree with a symlink pointing outside it, writing nothing' {
            Invoke-SandboxCommand -Sandbox $script:sandbox 'mkdir -p /home/user/leaky && ln -sfn ../../../etc/passwd /home/user/leaky/escape' | Out-Null
            $target = Join-Path $TestDrive 'leaky'
            { Copy-SandboxItem -Sandbox $script:sandbox -FromSandbox -Path /home/user/leaky -Destination $target -Recurse -ErrorAction Stop } |
                Should -Throw -ErrorId 'SandboxUnsafeArchive,SandboxModule.CopySandboxItemCommand'
            Test-Path -LiteralPath $target | Should -BeFalse
        }

        It 'refuses a tar with a ../ entry from a sandbox whose tar was replaced, writing nothing outside or inside' {
            # A compromised sandbox: its tar writes an archive with an entry '../evil' wherever -f points.
            $fake = @'
#!/usr/bin/python3
import io, sys, tarfile
out = sys.argv[sys.argv.index('-f') + 1]
with tarfile.open(out, 'w') as t:
    for name in ('evilroot', 'evilroot/../evil'):
        info = tarfile.TarInfo(name)
        data = b'' if name == 'evilroot' else b'pwned'
        info.type = tarfile.DIRTYPE if name == 'evilroot' else tarfile.REGTYPE
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
'@
            $script = Join-Path $TestDrive 'faketar'
            Set-Content -LiteralPath $script -Value $fake -NoNewline
            # The sandbox's commands find tar first in /home/user/bin, where the fake is.
            $evil = New-Sandbox -Template base -Environment @{ PATH = '/home/user/bin:/usr/local/bin:/usr/bin:/bin' }
            Invoke-SandboxCommand -Sandbox $evil 'mkdir -p /home/user/bin /home/user/evilroot' | Out-Null
            Copy-SandboxItem -Sandbox $evil -Path $script -Destination /home/user/bin/tar
            Invoke-SandboxCommand -Sandbox $evil 'chmod +x /home/user/bin/tar' | Out-Null
            try {
                $target = Join-Path $TestDrive 'evil-target'
                { Copy-SandboxItem -Sandbox $evil -FromSandbox -Path /home/user/evilroot -Destination $target -Recurse -ErrorAction Stop } |
                    Should -Throw -ErrorId 'SandboxUnsafeArchive,SandboxModule.CopySandboxItemCommand'
                Test-Path -LiteralPath (Join-Path $TestDrive 'evil') | Should -BeFalse
                Test-Path -LiteralPath $target | Should -BeFalse
            }
            finally {
                $evil | Remove-Sandbox -Force
            }
        }
    }
}
