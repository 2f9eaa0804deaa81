# Pester 5 tests of Invoke-SandboxCommand against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Invoke-SandboxCommand' {
    BeforeAll {
        $script:sandbox = New-Sandbox -Template base
    }

    It 'returns a typed result' {
        $result = Invoke-SandboxCommand 'echo out; echo err >&2' -Sandbox $script:sandbox
        $result | Should -BeOfType ([Sandbox.Client.CommandResult])
        $result.Sandbox | Should -Be $script:sandbox.Name
        $result.Command | Should -Be 'echo out; echo err >&2'
        $result.ExitCode | Should -Be 0
        $result.Succeeded | Should -BeTrue
        $result.Stdout | Should -Be "out`n"
        $result.Stderr | Should -Be "err`n"
        $result.Duration | Should -BeOfType ([timespan])
    }

    It 'binds the sandbox from the pipeline by value' {
        ($script:sandbox | Invoke-SandboxCommand 'echo piped').Stdout.Trim() | Should -Be 'piped'
    }

    It 'binds the sandbox by property name' {
        ([pscustomobject]@{ SandboxName = $script:sandbox.Name } | Invoke-SandboxCommand 'echo byname').Stdout.Trim() | Should -Be 'byname'
    }

    It 'treats a non-zero exit as data' {
        $result = Invoke-SandboxCommand 'exit 3' -Sandbox $script:sandbox -ErrorVariable err
        $result.ExitCode | Should -Be 3
        $result.Succeeded | Should -BeFalse
        $err | Should -BeNullOrEmpty
        $LASTEXITCODE | Should -Be 3
    }

    It 'makes a non-zero exit an error with -ErrorOnNonZeroExit' {
        { Invoke-SandboxCommand 'exit 4' -Sandbox $script:sandbox -ErrorOnNonZeroExit -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxCommandFailed,SandboxModule.InvokeSandboxCommandCommand'
    }

    It 'passes -Environment, -WorkingDirectory and -Shell' {
        $result = Invoke-SandboxCommand 'echo "$FOO $(pwd)"' -Sandbox $script:sandbox -Environment @{ FOO = 'bar' } -WorkingDirectory /tmp -Shell /bin/sh
        $result.Stdout.Trim() | Should -Be 'bar /tmp'
    }

    It 'runs as -RunAs, with -WorkingDirectory and -Environment going along in run_config' {
        $result = Invoke-SandboxCommand 'id -un; id -u; pwd; echo $FOO' -Sandbox $script:sandbox -RunAs user -WorkingDirectory /tmp -Environment @{ FOO = 'bar' }
        $result.Stdout | Should -Be "user`n1000`n/tmp`nbar`n"
        (Invoke-SandboxCommand 'pwd' -Sandbox $script:sandbox -RunAs 1000 -WorkingDirectory .).Stdout.Trim() | Should -Be '/home/user'
        (Invoke-SandboxCommand 'id -un' -Sandbox $script:sandbox).Stdout.Trim() | Should -Be 'root'
    }

    It 'streams as -RunAs and reports an unknown user' {
        Invoke-SandboxCommand 'id -un' -Sandbox $script:sandbox -RunAs user -Stream | Should -Be 'user'
        { Invoke-SandboxCommand 'true' -Sandbox $script:sandbox -RunAs no-such-user -ErrorAction Stop } | Should -Throw '*no-such-user*'
    }

    It 'sends pipeline input to stdin when -Sandbox is given' {
        $result = 'one', 'two', 'three' | Invoke-SandboxCommand 'wc -l' -Sandbox $script:sandbox
        $result.Stdout.Trim() | Should -Be '3'
    }

    It 'sends -InputObject to stdin' {
        (Invoke-SandboxCommand 'cat' -Sandbox $script:sandbox -InputObject 'hello').Stdout | Should -Be "hello`n"
    }

    It 'closes the stdin of a streamed command without input at once, so a read ends instead of hanging' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        Invoke-SandboxCommand 'cat; if read -r x; then echo "got:$x"; else echo eof; fi' -Sandbox $script:sandbox -Stream -TimeoutSec 20 |
            Should -Be @('eof')
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
    }

    It 'streams stdin given on the pipeline and then closes it' {
        'x1', 'x2' | Invoke-SandboxCommand 'cat; echo end' -Sandbox $script:sandbox -Stream -TimeoutSec 20 | Should -Be @('x1', 'x2', 'end')
    }

    It 'streams stdout lines and writes stderr lines to the information stream with -Stream' {
        $lines = Invoke-SandboxCommand 'echo a; echo b; echo c >&2' -Sandbox $script:sandbox -Stream -ErrorVariable err -InformationVariable info 6>$null
        $lines | Should -Be @('a', 'b')
        $err | Should -BeNullOrEmpty
        $info.Count | Should -Be 1
        "$($info[0].MessageData)" | Should -Be 'c'
        $info[0].Tags | Should -Contain 'stderr'
    }

    It 'completes under $ErrorActionPreference = Stop with -Stream when the command writes to stderr, and sets $? by its exit code' -Tag 'Issue13', 'Issue13.P4' {
        $ErrorActionPreference = 'Stop'
        $lines = Invoke-SandboxCommand 'echo one; echo progress 1>&2; sleep 0.2; echo two' -Sandbox $script:sandbox -Stream 6>$null
        $ok = $?
        $ok | Should -BeTrue
        $lines | Should -Be @('one', 'two')
        $LASTEXITCODE | Should -Be 0

        $ErrorActionPreference = 'Continue'
        $err = $null
        $lines = Invoke-SandboxCommand 'echo out; echo bad 1>&2; exit 3' -Sandbox $script:sandbox -Stream -ErrorAction SilentlyContinue -ErrorVariable err 6>$null
        $ok = $?
        $ok | Should -BeFalse
        $lines | Should -Be 'out'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxCommandFailed,SandboxModule.InvokeSandboxCommandCommand'
        $LASTEXITCODE | Should -Be 3
    }

    It 'writes the result instead of an error for a non-zero exit with -Stream -PassThru' -Tag 'Issue13', 'Issue13.P4' {
        $err = $null
        $out = Invoke-SandboxCommand 'echo out; exit 4' -Sandbox $script:sandbox -Stream -PassThru -ErrorVariable err
        $out[0] | Should -Be 'out'
        $out[-1] | Should -BeOfType ([Sandbox.Client.CommandResult])
        $out[-1].ExitCode | Should -Be 4
        $err | Should -BeNullOrEmpty
    }

    It 'kills a command past -TimeoutSec and keeps its output so far on the error' -Tag 'Issue13', 'Issue13.P5' {
        $caught = $null
        try { Invoke-SandboxCommand 'echo early; sleep 30' -Sandbox $script:sandbox -TimeoutSec 2 -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'SandboxCommandTimeout,SandboxModule.InvokeSandboxCommandCommand'
        $caught.Exception.PartialResult.Stdout | Should -Be "early`n"
    }

    It 'lets a command run past 60 s when no -TimeoutSec is given' -Tag 'Issue13', 'Issue13.P5' {
        $result = Invoke-SandboxCommand 'sleep 65; echo finished' -Sandbox $script:sandbox
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be 'finished'
    }

    It 'offers the output without its trailing newline beside the raw Stdout' -Tag 'Issue13', 'Issue13.P7' {
        $result = Invoke-SandboxCommand 'echo hello' -Sandbox $script:sandbox
        $result.Stdout | Should -Be "hello`n"
        $result.Output -eq 'hello' | Should -BeTrue
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Invoke-SandboxCommand 'true' -Sandbox (New-TestName -Prefix 'missing') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.InvokeSandboxCommandCommand'
    }

    It 'shows the output in its default view' {
        (Invoke-SandboxCommand 'echo visible' -Sandbox $script:sandbox | Out-String) | Should -Match 'visible'
    }

    Context '-AsJob' {
        It 'returns a job that Get-Job sees and Receive-Job -Wait gets the result from' -Tag 'Issue13', 'Issue13.P10' {
            $job = Invoke-SandboxCommand -Sandbox $script:sandbox 'echo from-job' -AsJob
            try {
                $job | Should -BeOfType ([System.Management.Automation.Job])
                $job.PSJobTypeName | Should -Be 'SandboxJob'
                (Get-Job -Id $job.Id).Id | Should -Be $job.Id
                $result = $job | Receive-Job -Wait
                $result.Output | Should -Be 'from-job'
                $job.State | Should -Be 'Completed'
            }
            finally {
                $job | Remove-Job -Force
            }
        }

        It 'is removed by Receive-Job -AutoRemoveJob -Wait' {
            $job = Invoke-SandboxCommand -Sandbox $script:sandbox 'echo auto-removed' -AsJob
            try {
                $result = $job | Receive-Job -AutoRemoveJob -Wait -ErrorAction Stop
                $result.Output | Should -Be 'auto-removed'
                Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            }
            finally {
                Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Remove-Job -Force
            }
        }

        It 'passes piped lines to the job as stdin' {
            $job = 'one', 'two' | Invoke-SandboxCommand -Sandbox $script:sandbox 'cat' -AsJob
            try {
                ($job | Receive-Job -Wait).Output | Should -Be "one`ntwo"
            }
            finally {
                $job | Remove-Job -Force
            }
        }

        It 'ends a sleep 100 quickly on Stop-Job' {
            $job = Invoke-SandboxCommand -Sandbox $script:sandbox 'sleep 100' -AsJob
            try {
                Start-Sleep -Milliseconds 1500
                $job.State | Should -Be 'Running'
                $watch = [System.Diagnostics.Stopwatch]::StartNew()
                $job | Stop-Job
                $watch.Elapsed.TotalSeconds | Should -BeLessThan 5
                $job.State | Should -Be 'Stopped'
                # The server kills the command when the job's call is cancelled; give it a moment to reap it.
                (Invoke-SandboxCommand -Sandbox $script:sandbox 'for i in $(seq 50); do pgrep -x sleep >/dev/null || { echo none; exit; }; sleep 0.1; done; echo running').Output | Should -Be 'none'
            }
            finally {
                $job | Remove-Job -Force
            }
        }

        It 'writes a failure to the job''s error stream' {
            $job = Invoke-SandboxCommand -Sandbox (New-TestName -Prefix 'missing') 'true' -AsJob
            try {
                $null = $job | Wait-Job
                $job | Receive-Job -ErrorVariable failed -ErrorAction SilentlyContinue
                $failed[0].FullyQualifiedErrorId | Should -Be 'SandboxNotFound,SandboxModule.InvokeSandboxCommandCommand'
            }
            finally {
                $job | Remove-Job -Force
            }
        }
    }
}
