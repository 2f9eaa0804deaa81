# Pester 5 tests of Connect-Sandbox against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Connect-Sandbox' {
    It 'connects to a server object from the pipeline and makes it the default' {
        $connection = $script:ctx.Server | Connect-Sandbox
        $connection | Should -BeOfType ([SandboxModule.SandboxConnection])
        $connection.Endpoint | Should -Be $script:ctx.Server.Endpoint
        $connection.IsDefault | Should -BeTrue
        $connection.HasApiKey | Should -BeTrue
        (Get-SandboxConnection).Endpoint | Should -Be $script:ctx.Server.Endpoint
    }

    It 'connects with -Endpoint and a SecureString -ApiKey' {
        $key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim() | ConvertTo-SecureString -AsPlainText -Force
        $connection = Connect-Sandbox -Endpoint $script:ctx.Server.Endpoint -ApiKey $key
        $connection.ApiKeySource | Should -Be 'Explicit'
        Get-SandboxTemplate -Name base -Connection $connection | Should -Not -BeNullOrEmpty
    }

    It 'never shows the API key' {
        $key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim()
        $connection = $script:ctx.Server | Connect-Sandbox
        ($connection | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape($key))
    }

    It 'reports a wrong key as a non-terminating authentication error' {
        $bad = 'not-the-key' | ConvertTo-SecureString -AsPlainText -Force
        $result = Connect-Sandbox -Endpoint $script:ctx.Server.Endpoint -ApiKey $bad -ErrorAction SilentlyContinue -ErrorVariable err
        $result | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxAccessDenied,SandboxModule.ConnectSandboxCommand'
        $err[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    It 'reports a refused connection as SandboxConnectionFailed' {
        $port = Get-FreeTcpPort
        { Connect-Sandbox -Endpoint "http://127.0.0.1:$port" -ApiKey ('x' | ConvertTo-SecureString -AsPlainText -Force) -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxConnectionFailed,SandboxModule.ConnectSandboxCommand'
    }

    Context 'in other runspaces of the process' {
        BeforeAll {
            # If a runspace ignored the default it would fall back to the chain: make the chain a refused port, so such a
            # bug fails the test at once instead of starting a server on the default port.
            $script:savedEndpoint = $env:SANDBOX_ENDPOINT
            $env:SANDBOX_ENDPOINT = "http://127.0.0.1:$(Get-FreeTcpPort)"
        }
        AfterAll {
            $env:SANDBOX_ENDPOINT = $script:savedEndpoint
            $script:ctx.Server | Connect-Sandbox | Out-Null
        }

        It 'is the default in ForEach-Object -Parallel, which creates on the connected server' -Tag 'Issue13', 'Issue13.P2' {
            $script:ctx.Server | Connect-Sandbox | Out-Null
            $prefix = New-TestName -Prefix 'par'
            $manifest = $script:SandboxTestManifest
            try {
                $out = 1..2 | ForEach-Object -ThrottleLimit 2 -Parallel {
                    Import-Module $using:manifest
                    (New-Sandbox -Template base -Name "$($using:prefix)-$_" -ErrorAction Stop).Name
                }
                ($out | Sort-Object) | Should -Be @("$prefix-1", "$prefix-2")
                (Get-Sandbox -Name "$prefix-*" -Connection $script:ctx.Connection).Count | Should -Be 2
            }
            finally {
                Get-Sandbox -Name "$prefix-*" -Connection $script:ctx.Connection | Remove-Sandbox -Force -Connection $script:ctx.Connection
            }
        }

        It 'is the default in thread jobs' -Tag 'Issue13', 'Issue13.P2' {
            $script:ctx.Server | Connect-Sandbox | Out-Null
            $inJob = Start-ThreadJob { Import-Module $using:script:SandboxTestManifest; Get-SandboxConnection } | Receive-Job -Wait -AutoRemoveJob
            $inJob.Endpoint | Should -Be $script:ctx.Server.Endpoint
            $inJob.IsDefault | Should -BeTrue
        }

        It 'can be made for one runspace only with -Scope Runspace' {
            $mine = $script:ctx.Server | Connect-Sandbox
            $server = $script:ctx.Server
            $inJob = Start-ThreadJob {
                Import-Module $using:script:SandboxTestManifest
                # A second connection object to the same server, default in this thread only.
                $own = Connect-Sandbox -Server $using:server -Scope Runspace
                [pscustomobject]@{ Same = [object]::ReferenceEquals((Get-SandboxConnection), $own) }
            } | Receive-Job -Wait -AutoRemoveJob
            $inJob.Same | Should -BeTrue
            # The process-wide default is untouched.
            [object]::ReferenceEquals((Get-SandboxConnection), $mine) | Should -BeTrue
        }
    }
}

Describe 'The default local server when something else answers on its port' {
    BeforeAll {
        # A foreign HTTP server on a free port, made the default local port through SANDBOX_LOCAL_PORT (never 8765).
        $script:foreignPort = Get-FreeTcpPort
        $script:listener = [System.Net.HttpListener]::new()
        $script:listener.Prefixes.Add("http://127.0.0.1:$script:foreignPort/")
        $script:listener.Start()
        $script:answering = Start-ThreadJob -ArgumentList $script:listener -ScriptBlock {
            param($listener)
            while ($listener.IsListening) {
                try {
                    $context = $listener.GetContext()
                }
                catch {
                    break
                }
                $context.Response.Headers.Add('Server', 'foreign-test-server')
                $bytes = [System.Text.Encoding]::UTF8.GetBytes('{"status":"ok"}')
                $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                $context.Response.Close()
            }
        }
        $script:manifest = $script:SandboxTestManifest
        # A fresh shell with nothing configured: no Connect-Sandbox, no SANDBOX_ENDPOINT, an empty default data directory.
        function Invoke-Unconfigured([string] $DataDirectory) {
            Invoke-UnconfiguredPwsh -Port $script:foreignPort -DataDirectory $DataDirectory -Script "Import-Module '$script:manifest'; try { Get-Sandbox -ErrorAction Stop | Out-Null; 'no error' } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
        }
    }

    AfterAll {
        $script:listener.Stop()
        $script:answering | Wait-Job -Timeout 10 | Remove-Job -Force
    }

    It 'refuses it, saying what answered, the data directory and how to connect explicitly' -Tag 'Issue13', 'Issue13.P6' {
        $dir = Join-Path $TestDrive 'empty-data'
        $out = Invoke-Unconfigured -DataDirectory $dir
        $out[0] | Should -BeLike 'SandboxForeignLocalServer,*'
        $message = $out[1..($out.Count - 1)] -join ' '
        $message | Should -BeLike "*http://127.0.0.1:$script:foreignPort*"
        $message | Should -BeLike '*foreign-test-server*'
        $message | Should -BeLike "*$dir*"
        $message | Should -BeLike '*Connect-Sandbox -Endpoint*'
    }

    It 'is listed by Get-SandboxServer as Foreign, not as a running server of the default data directory' -Tag 'Issue13', 'Issue13.P6' {
        $dir = Join-Path $TestDrive 'listed-data'
        $out = Invoke-UnconfiguredPwsh -Port $script:foreignPort -DataDirectory $dir -Script "Import-Module '$script:manifest'; Get-SandboxServer | ForEach-Object { `$_.Endpoint + ' ' + `$_.Status + ' ' + `$_.IsRunning }"
        $out | Should -Contain "http://127.0.0.1:$script:foreignPort Foreign False"
    }

    It 'uses it when the default data directory holds the key of a server there' {
        $dir = Join-Path $TestDrive 'keyed-data'
        New-Item -ItemType Directory -Path $dir | Out-Null
        Set-Content -LiteralPath (Join-Path $dir 'api-key') -Value 'test-key'
        $out = Invoke-Unconfigured -DataDirectory $dir
        $out[0] | Should -Not -BeLike 'SandboxForeignLocalServer,*'
    }
}
