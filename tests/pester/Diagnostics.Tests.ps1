# Pester 5 tests of what helps troubleshooting (issue 13, problem 8): an HTTP trace on -Debug, fast failure when nothing
# listens. Against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'HTTP trace on -Debug' {
    It 'writes one debug line per HTTP call: method, URL, status, time; never the key' -Tag 'Issue13', 'Issue13.P8' {
        $key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim()
        $debug = Get-SandboxTemplate -Name base -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
        $lines = @($debug.Message | Where-Object { $_ -like 'HTTP *' })
        $lines.Count | Should -BeGreaterOrEqual 1
        $lines[0] | Should -Match "^HTTP GET $([regex]::Escape($script:ctx.Server.Endpoint))/\S*templates/base -> 200 OK in \d+ ms$"
        ($debug.Message -join "`n") | Should -Not -Match ([regex]::Escape($key))
    }

    It 'writes nothing without -Debug' {
        $debug = Get-SandboxTemplate -Name base 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
        $debug | Should -BeNullOrEmpty
    }

    It 'traces a failed call too' {
        $debug = Get-SandboxTemplate -Name 'no-such-template' -Debug -ErrorAction SilentlyContinue 5>&1 |
            Where-Object { $_ -is [System.Management.Automation.DebugRecord] }
        ($debug.Message -join "`n") | Should -Match 'templates/no-such-template -> 404'
    }
}

Describe 'A refused connection' {
    It 'fails in about a second, not after the whole back-off (two attempts, seen in the trace)' -Tag 'Issue13', 'Issue13.P8' {
        $port = Get-FreeTcpPort
        $connection = Connect-Sandbox -Endpoint "http://127.0.0.1:$port" -ApiKey ('x' | ConvertTo-SecureString -AsPlainText -Force) -ErrorAction SilentlyContinue
        $connection | Should -BeNullOrEmpty
        $saved = $env:SANDBOX_ENDPOINT
        try {
            $env:SANDBOX_ENDPOINT = "http://127.0.0.1:$port"
            $script:ctx.Server | Connect-Sandbox | Disconnect-Sandbox
            $elapsed = Measure-Command {
                $script:out = Get-SandboxTemplate -Name base -Debug -ErrorAction SilentlyContinue -ErrorVariable err 5>&1
            }
            $err[0].FullyQualifiedErrorId | Should -Be 'SandboxConnectionFailed,SandboxModule.GetSandboxTemplateCommand'
            @($script:out | Where-Object { $_ -is [System.Management.Automation.DebugRecord] -and $_.Message -like 'HTTP GET*failed*' }).Count | Should -Be 2
            # Four attempts with back-off took 7.5-9.7 s; two attempts 250 ms apart take well under five.
            $elapsed.TotalSeconds | Should -BeLessThan 5
        }
        finally {
            $env:SANDBOX_ENDPOINT = $saved
            $script:ctx.Server | Connect-Sandbox | Out-Null
        }
    }
}
