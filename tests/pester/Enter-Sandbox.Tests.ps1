# Pester 5 tests of Enter-Sandbox through a real terminal: pwsh runs in a detached tmux session (a private tmux
# server, its own socket) connected to the private local server of Common.ps1; keys go in with send-keys and the
# screen is read with capture-pane, polled against a deadline.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:sandbox = New-Sandbox -Template base -Name (New-TestName -Prefix 'enter')
    $script:tmux = (Get-Command -Name tmux -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $script:socket = New-TestName -Prefix 'sandbox-enter'
    $script:pane = 'enter'
    $script:manifest = $script:SandboxTestManifest
    # pwsh as a dotnet global tool runs under the dotnet host, so this process's path is dotnet's: find pwsh itself.
    $script:pwsh = @((Get-Command -Name pwsh -CommandType Application -ErrorAction SilentlyContinue).Source) +
        (Join-Path $HOME '.dotnet' 'tools' 'pwsh') | Where-Object { $_ -and (Test-Path -LiteralPath $_) } | Select-Object -First 1

    function Invoke-Tmux {
        & $script:tmux -L $script:socket @args
        if ($LASTEXITCODE -ne 0) { throw "tmux $args failed with exit code $LASTEXITCODE" }
    }

    # The whole history of the pane, wrapped lines joined.
    function Get-Screen {
        (& $script:tmux -L $script:socket capture-pane -p -J -t $script:pane -S - -E -) -join "`n"
    }

    # Polls the screen until -Pattern (a regex) occurs -Count times; the screen then. Fails with the screen at the deadline.
    function Wait-Screen {
        param([string] $Pattern, [int] $Count = 1, [double] $TimeoutSec = 30)
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $screen = Get-Screen
            if ([regex]::Matches($screen, $Pattern).Count -ge $Count) { return $screen }
            if ([datetime]::UtcNow -gt $deadline) {
                throw "'$Pattern' (x$Count) did not appear on the terminal within $TimeoutSec s. Screen:`n$screen"
            }
            Start-Sleep -Milliseconds 100
        }
    }

    # Enters the sandbox with -Line and waits for the first thing the shell there draws (its prompt): keys typed
    # before the session starts belong to pwsh's line editor, as in any terminal.
    function Enter-TestSandbox([string] $Line) {
        $before = [regex]::Matches((Get-Screen), [regex]::Escape($Line)).Count
        Send-Line $Line
        Wait-Screen -Pattern ([regex]::Escape($Line) + '[^\n]*\n[^\n]*\S') -Count ($before + 1) | Out-Null
    }

    function Send-Line([string] $Text) {
        Invoke-Tmux send-keys -t $script:pane -l $Text
        Invoke-Tmux send-keys -t $script:pane Enter
    }

    # pwsh in a 120 x 40 terminal, the module imported and connected to the test server, with a prompt to wait for.
    $startup = Join-Path $script:ctx.DataDirectory 'enter-startup.ps1'
    @"
Import-Module '$($script:manifest)' -ErrorAction Stop
Get-SandboxServer -DataDirectory '$($script:ctx.DataDirectory)' | Connect-Sandbox -ErrorAction Stop | Out-Null
function prompt { 'PS-READY> ' }
"@ | Set-Content -LiteralPath $startup
    Invoke-Tmux -f /dev/null new-session -d -s $script:pane -x 120 -y 40 "'$($script:pwsh)' -NoProfile -NoLogo -NoExit -File '$startup'"
    Wait-Screen -Pattern 'PS-READY> ' -TimeoutSec 60 | Out-Null
}

AfterAll {
    if ($script:socket) { & $script:tmux -L $script:socket kill-server *> $null }
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Enter-Sandbox' {
    It 'runs a shell in the sandbox on a terminal: typed commands, resizes, Ctrl+C, and exit back to pwsh' -Tag 'Issue13', 'Issue13.P10' {
        Enter-TestSandbox "Enter-Sandbox $($script:sandbox.Name)"
        # A terminal inside the sandbox: its own /dev/pts, the sandbox's hostname, the window's size.
        Send-Line 'echo "in-$((6*7))-$(hostname)"; tty; stty size'
        $screen = Wait-Screen -Pattern "in-42-$([regex]::Escape($script:sandbox.Name))"
        $screen = Wait-Screen -Pattern '(?m)^40 120\s*$'
        $screen | Should -Match '/dev/pts/\d+'

        # A window size change follows into the sandbox.
        # The client polls the window's size, so the shell may answer the first questions with the old one.
        Invoke-Tmux resize-window -t $script:pane -x 100 -y 30
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while ([regex]::Matches((Get-Screen), '(?m)^30 100\s*$').Count -eq 0) {
            if ([datetime]::UtcNow -gt $deadline) { throw "the new size did not reach the sandbox within 30 s. Screen:`n$(Get-Screen)" }
            Send-Line 'stty size'
            Start-Sleep -Milliseconds 500
        }

        # Ctrl+C reaches the sandbox's foreground command, not pwsh: the sandbox's shell answers again quickly.
        Send-Line 'sleep 100; echo "slept-$((1+1))"'
        Start-Sleep -Milliseconds 500
        $interrupted = [System.Diagnostics.Stopwatch]::StartNew()
        Invoke-Tmux send-keys -t $script:pane C-c
        Send-Line 'echo "back-$((2+3))"'
        Wait-Screen -Pattern 'back-5' -TimeoutSec 10 | Out-Null
        $interrupted.Elapsed.TotalSeconds | Should -BeLessThan 10
        Get-Screen | Should -Not -Match 'slept-2'

        # exit ends the shell and gives pwsh its prompt back, with the console usable and $LASTEXITCODE set.
        $prompts = [regex]::Matches((Get-Screen), 'PS-READY> ').Count
        Send-Line 'exit 3'
        Wait-Screen -Pattern 'PS-READY> ' -Count ($prompts + 1) | Out-Null
        Send-Line '"code-$LASTEXITCODE-" + (6*7)'
        Wait-Screen -Pattern 'code-3-42' | Out-Null
    }

    It 'takes the sandbox from the pipeline and runs -Command on the terminal' {
        $prompts = [regex]::Matches((Get-Screen), 'PS-READY> ').Count
        # The command prints a line first, so that there is something to wait for before typing.
        Enter-TestSandbox "Get-Sandbox $($script:sandbox.Name) | Enter-Sandbox -Command 'echo `"ready-`$((3*3))`"; read -r line; echo `"got-`$line-`$((7*6))`"; exit 4'"
        Wait-Screen -Pattern 'ready-9' | Out-Null
        Send-Line 'typed'
        Wait-Screen -Pattern 'got-typed-42' | Out-Null
        Wait-Screen -Pattern 'PS-READY> ' -Count ($prompts + 1) | Out-Null
        Send-Line '"code-$LASTEXITCODE-" + (6*7)'
        Wait-Screen -Pattern 'code-4-42' | Out-Null
    }

    It 'enters a leap0 sandbox through a terminal session of its own, and exit returns to pwsh' {
        $key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim()
        $l0 = Connect-Sandbox -Provider Leap0 -Endpoint $script:ctx.Server.Endpoint -ApiKey ($key | ConvertTo-SecureString -AsPlainText -Force) -Scope Runspace
        $box = New-Sandbox -Connection $l0 -Timeout 600
        try {
            $prompts = [regex]::Matches((Get-Screen), 'PS-READY> ').Count
            Enter-TestSandbox "`$l0 = Connect-Sandbox -Provider Leap0 -Endpoint '$($script:ctx.Server.Endpoint)' -ApiKey ('$key' | ConvertTo-SecureString -AsPlainText -Force) -Scope Runspace; Enter-Sandbox $($box.Id) -Connection `$l0 -WorkingDirectory /tmp"
            # ${0##*/} is the shell's name in a POSIX shell and nothing in pwsh: the line ran in the sandbox.
            Send-Line 'echo "leap0-$((6*7))-${0##*/}"; pwd; stty size'
            Wait-Screen -Pattern 'leap0-42-[a-z]*sh' | Out-Null
            $size = (& $script:tmux -L $script:socket display-message -p -t $script:pane '#{window_height} #{window_width}').Trim()
            Wait-Screen -Pattern ('(?m)^' + [regex]::Escape($size) + '\s*$') | Out-Null
            Get-Screen | Should -Match '(?m)^/tmp\s*$'
            Send-Line 'exit'
            Wait-Screen -Pattern 'PS-READY> ' -Count ($prompts + 1) | Out-Null
            # The session was deleted with the shell's end: none is left on the sandbox.
            $sessions = Invoke-RestMethod -Uri "$($script:ctx.Server.Endpoint)/v1/sandbox/$($box.Id)/pty" -Headers @{ Authorization = "Bearer $key" }
            @($sessions.items).Count | Should -Be 0
        }
        finally {
            $box | Remove-Sandbox -Connection $l0 -Force
        }
    }

    It 'refuses to run without a terminal and says what to use instead' {
        $script = "Import-Module '$($script:manifest)'; try { Enter-Sandbox -Name $($script:sandbox.Name) -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
        # Piped input and captured output: neither end is a terminal.
        $output = '' | & $script:pwsh -NoProfile -NonInteractive -Command $script
        $output[0] | Should -Be 'TerminalRequired,SandboxModule.EnterSandboxCommand'
        $output[1] | Should -Match 'interactive terminal.*Invoke-SandboxCommand'
    }
}
