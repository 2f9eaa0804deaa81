# Pester 5 tests of the module on leap0's API: Connect-Sandbox -Provider Leap0 to the private local server's /v1
# (see Common.ps1), then the sandbox cmdlets through it.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:key = (Get-Content -LiteralPath $script:ctx.Server.ApiKeyFile -Raw).Trim()
    $script:secureKey = $script:key | ConvertTo-SecureString -AsPlainText -Force
    $script:l0 = Connect-Sandbox -Provider Leap0 -Endpoint $script:ctx.Server.Endpoint -ApiKey $script:secureKey -RequestTimeoutSec 120
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Connect-Sandbox -Provider Leap0' {
    It 'connects with parameters and shows the provider' {
        $script:l0.Provider | Should -Be 'Leap0'
        $script:l0.Endpoint | Should -Be $script:ctx.Server.Endpoint
        $script:l0.RequestTimeout | Should -Be ([timespan]::FromSeconds(120))
        (Get-SandboxConnection).Provider | Should -Be 'Leap0'
        (Get-SandboxConnection | Format-Table | Out-String) | Should -Match 'Leap0'
    }

    It 'takes the endpoint, key and sandbox domain from LEAP0_BASE_URL, LEAP0_API_KEY and LEAP0_SANDBOX_DOMAIN' {
        $saved = $env:LEAP0_BASE_URL, $env:LEAP0_API_KEY, $env:LEAP0_SANDBOX_DOMAIN
        try {
            $env:LEAP0_BASE_URL = $script:ctx.Server.Endpoint
            $env:LEAP0_API_KEY = $script:key
            $env:LEAP0_SANDBOX_DOMAIN = 'sandbox.localhost:8443'
            $connection = Connect-Sandbox -Provider Leap0
            $connection.EndpointSource | Should -Be 'Leap0Environment'
            $connection.ApiKeySource | Should -Be 'Leap0Environment'
            $connection.SandboxDomain | Should -Be 'sandbox.localhost:8443'
        }
        finally {
            $env:LEAP0_BASE_URL, $env:LEAP0_API_KEY, $env:LEAP0_SANDBOX_DOMAIN = $saved
            $script:l0 = Connect-Sandbox -Provider Leap0 -Endpoint $script:ctx.Server.Endpoint -ApiKey $script:secureKey
        }
    }

    It 'refuses a wrong key before the connection becomes the default' {
        $wrong = 'not-the-key' | ConvertTo-SecureString -AsPlainText -Force
        { Connect-Sandbox -Provider Leap0 -Endpoint $script:ctx.Server.Endpoint -ApiKey $wrong -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxAuthenticationFailed,SandboxModule.ConnectSandboxCommand'
        (Get-SandboxConnection).Provider | Should -Be 'Leap0'
    }

    It 'refuses -SandboxDomain for LangSmith' {
        { Connect-Sandbox -Endpoint $script:ctx.Server.Endpoint -SandboxDomain 'x.example' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxDomainNeedsLeap0,SandboxModule.ConnectSandboxCommand'
    }
}

Describe 'The sandbox cmdlets on leap0' {
    It 'creates with -Vcpu, -MemoryMB, -Timeout, -AutoPause, -Environment and -NetworkPolicy, runs a command and removes it' {
        $sandbox = New-Sandbox -Vcpu 1 -MemoryMB 512 -Timeout 10m -AutoPause -Environment @{ GREETING = 'hi' } -NetworkPolicy deny-all
        $sandbox.Status | Should -Be 'ready'
        $sandbox.Name | Should -Be $sandbox.Id
        $sandbox.Vcpus | Should -Be 1
        $sandbox.MemBytes | Should -Be (512MB)
        $sandbox.TtlSeconds | Should -Be 600
        $sandbox.AutoPause | Should -BeTrue
        $sandbox.NetworkPolicy.Mode | Should -Be 'deny-all'

        $result = Invoke-SandboxCommand 'echo "$GREETING $EXTRA"; pwd' -Sandbox $sandbox -WorkingDirectory /tmp -Environment @{ EXTRA = 'there' }
        $result.Stdout | Should -Be "hi there`n/tmp`n"
        $result.ExitCode | Should -Be 0

        (Get-Sandbox -Name $sandbox.Id).Id | Should -Be $sandbox.Id
        (Get-Sandbox -Name $sandbox.Id -State running).Id | Should -Be $sandbox.Id
        Get-Sandbox -Name $sandbox.Id -State paused | Should -BeNullOrEmpty

        Remove-Sandbox -Name $sandbox.Id -Force
        { Get-Sandbox -Name $sandbox.Id -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.GetSandboxCommand'
    }

    It 'returns at once with -NoWait and Wait-Sandbox polls leap0 until running' {
        $started = New-Sandbox -NoWait
        $started.Status | Should -BeIn @('provisioning', 'ready')
        $ready = $started | Wait-Sandbox -PassThru -TimeoutSec 120
        $ready.Status | Should -Be 'ready'
        $ready.Id | Should -Be $started.Id
    }

    It 'writes and reads files with Set-SandboxContent and Get-SandboxContent' {
        $sandbox = New-Sandbox
        Set-SandboxContent -Sandbox $sandbox -Path /tmp/l0.txt -Value 'x', 'y'
        Get-SandboxContent -Sandbox $sandbox -Path /tmp/l0.txt -Raw | Should -Be "x`ny`n"
        1..3 | Set-SandboxContent -Sandbox $sandbox -Path n.txt
        Get-SandboxContent -Sandbox $sandbox.Id -Path n.txt | Should -Be @('1', '2', '3')
        { Get-SandboxContent -Sandbox $sandbox -Path /tmp/none -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxPathNotFound,SandboxModule.GetSandboxContentCommand'
    }

    It 'copies files both ways with Copy-SandboxItem' {
        $sandbox = New-Sandbox
        $local = Join-Path $TestDrive 'l0-up.txt'
        Set-Content -LiteralPath $local -Value 'from here' -NoNewline
        Copy-SandboxItem -Sandbox $sandbox -Path $local -Destination /tmp/up.txt
        (Invoke-SandboxCommand 'cat /tmp/up.txt' -Sandbox $sandbox).Stdout | Should -Be 'from here'
        $back = Join-Path $TestDrive 'l0-back.txt'
        Copy-SandboxItem -Sandbox $sandbox -FromSandbox -Path /tmp/up.txt -Destination $back
        Get-Content -LiteralPath $back -Raw | Should -Be 'from here'
    }

    It 'streams a command with -Stream (buffered on leap0) and reports a non-zero exit' {
        $sandbox = New-Sandbox
        $out = Invoke-SandboxCommand 'echo one; echo two' -Sandbox $sandbox -Stream
        $out | Should -Be @('one', 'two')
        { Invoke-SandboxCommand 'exit 4' -Sandbox $sandbox -Stream -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxCommandFailed,SandboxModule.InvokeSandboxCommandCommand'
    }

    It 'copies OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS into the sandbox with -OtelExport' {
        $saved = $env:OTEL_EXPORTER_OTLP_ENDPOINT, $env:OTEL_EXPORTER_OTLP_HEADERS
        try {
            $env:OTEL_EXPORTER_OTLP_ENDPOINT = 'http://collector.example:4318'
            $env:OTEL_EXPORTER_OTLP_HEADERS = 'x-team=data'
            $sandbox = New-Sandbox -OtelExport
            (Invoke-SandboxCommand 'echo "$OTEL_EXPORTER_OTLP_ENDPOINT|$OTEL_EXPORTER_OTLP_HEADERS"' -Sandbox $sandbox).Stdout |
                Should -Be "http://collector.example:4318|x-team=data`n"
            $env:OTEL_EXPORTER_OTLP_ENDPOINT = $null
            { New-Sandbox -OtelExport -ErrorAction Stop } | Should -Throw -ErrorId 'SandboxOtelEndpointMissing,SandboxModule.NewSandboxCommand'
        }
        finally {
            $env:OTEL_EXPORTER_OTLP_ENDPOINT, $env:OTEL_EXPORTER_OTLP_HEADERS = $saved
        }
    }

    It 'pauses through /v1 with Suspend-Sandbox and Resume-Sandbox wakes it' {
        $sandbox = New-Sandbox
        (Suspend-Sandbox -Name $sandbox.Id -PassThru).Status | Should -Be 'paused'
        (Get-Sandbox -Name $sandbox.Id).Status | Should -Be 'paused'
        (Get-Sandbox -Name $sandbox.Id -State paused).Id | Should -Be $sandbox.Id
        { Suspend-Sandbox -Name $sandbox.Id -ErrorAction Stop } | Should -Throw -ExpectedMessage '*paused*'
        (Resume-Sandbox -Name $sandbox.Id -PassThru).Status | Should -Be 'ready'
        (Get-Sandbox -Name $sandbox.Id).Status | Should -Be 'ready'
    }

    It 'stops and starts through /v1 with Stop-Sandbox and Start-Sandbox, keeping files' {
        $sandbox = New-Sandbox
        Invoke-SandboxCommand 'echo kept > /home/user/kept.txt' -Sandbox $sandbox | Out-Null
        (Stop-Sandbox -Name $sandbox.Id -PassThru).Status | Should -Be 'stopped'
        (Get-Sandbox -Name $sandbox.Id -State stopped).Id | Should -Be $sandbox.Id
        Start-Sandbox -Name $sandbox.Id
        $sandbox.Id | Wait-Sandbox -TimeoutSec 120
        (Invoke-SandboxCommand 'cat /home/user/kept.txt' -Sandbox $sandbox.Id).Stdout | Should -Be "kept`n"
    }

    It 'lists through /v1 with Get-Sandbox: no name, a wildcard and -State' {
        $running = New-Sandbox
        $paused = New-Sandbox
        Suspend-Sandbox -Name $paused.Id
        $all = Get-Sandbox
        $all.Id | Should -Contain $running.Id
        $all.Id | Should -Contain $paused.Id
        $prefix = $running.Id.Substring(0, 4)
        $matched = Get-Sandbox -Name "$prefix*"
        $matched.Id | Should -Contain $running.Id
        $matched | ForEach-Object { $_.Id | Should -BeLike "$prefix*" }
        (Get-Sandbox -Name '*' -State paused).Id | Should -Contain $paused.Id
        (Get-Sandbox -Name '*' -State paused).Id | Should -Not -Contain $running.Id
        $ready = Get-Sandbox -State running
        $ready.Id | Should -Contain $running.Id
        $ready.Status | Sort-Object -Unique | Should -Be 'ready'
    }

    It 'issues a presigned URL with Get-SandboxUrl -Port that opens the port without the key' {
        $sandbox = New-Sandbox
        $start = "mkdir -p /tmp/www && echo served > /tmp/www/index.html && cd /tmp/www && " +
            "(setsid python3 -m http.server 8090 --bind 127.0.0.1 < /dev/null > /tmp/http.log 2>&1 &) && " +
            "for i in `$(seq 100); do python3 -c 'import socket; socket.create_connection((""127.0.0.1"", 8090), 1)' 2>/dev/null && exit 0; sleep 0.1; done; exit 1"
        (Invoke-SandboxCommand $start -Sandbox $sandbox).ExitCode | Should -Be 0
        $url = Get-SandboxUrl -Sandbox $sandbox -Port 8090 -ExpiresIn 300
        $url.Token | Should -Not -BeNullOrEmpty
        $url.BrowserUrl | Should -Be $url.ServiceUrl
        (Invoke-WebRequest -Uri $url.ServiceUrl -UseBasicParsing).Content | Should -Be "served`n"
    }

    It 'snapshots with New-SandboxSnapshot (stored, no wait), lists, restores with New-Sandbox -Snapshot and removes' {
        $source = New-Sandbox
        Invoke-SandboxCommand 'echo snapped > /home/user/s.txt' -Sandbox $source | Out-Null
        $name = New-TestName -Prefix 'l0snap'
        $snapshot = New-SandboxSnapshot -Sandbox $source -Name $name
        $snapshot.Name | Should -Be $name
        $snapshot.Status | Should -Be 'ready'
        (Get-SandboxSnapshot -Name $name).Id | Should -Be $snapshot.Id
        (Get-SandboxSnapshot).Id | Should -Contain $snapshot.Id
        (Get-SandboxSnapshot -Name 'l0snap*').Id | Should -Contain $snapshot.Id
        # leap0 has no single-snapshot GET: -Id (and the pipeline's SnapshotId) is found in the list.
        (Get-SandboxSnapshot -Id $snapshot.Id).Name | Should -Be $name
        ($snapshot | Get-SandboxSnapshot).Id | Should -Be $snapshot.Id
        { Get-SandboxSnapshot -Id 'no-such-snapshot-id' -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand'
        $restored = New-Sandbox -Snapshot $name
        $restored.Id | Should -Not -Be $source.Id
        (Invoke-SandboxCommand 'cat /home/user/s.txt' -Sandbox $restored).Stdout | Should -Be "snapped`n"
        { New-SandboxSnapshot -Sandbox $source -Name $name -Label @{ a = 'b' } -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
        Remove-SandboxSnapshot -Name $name -Force
        { Get-SandboxSnapshot -Name $name -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand'
    }

    It 'makes a template from a built-in with New-SandboxTemplate, lists, renames and removes it' {
        $name = New-TestName -Prefix 'l0tpl'
        $template = New-SandboxTemplate -Name $name -Image 'system/debian:bookworm'
        $template.Name | Should -Be $name
        (Get-SandboxTemplate).Name | Should -Contain 'system/debian:bookworm'
        (Get-SandboxTemplate -Name $name).Id | Should -Be $template.Id
        $box = New-Sandbox -Template $name
        $box.TemplateName | Should -Be $name
        # The sandbox's template, found in leap0's template list.
        ($box | Get-SandboxTemplate).Id | Should -Be $template.Id
        (Rename-SandboxTemplate -Name $name -NewName "$name-b" -PassThru).Id | Should -Be $template.Id
        { New-SandboxTemplate -Name "$name-c" -Image 'system/debian:bookworm' -Cpu 2 -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
        { New-SandboxTemplate -Name "$name-r" -Image 'docker.io/library/alpine:3' -ErrorAction Stop } | Should -Throw -ExpectedMessage '*uri*'
        { Remove-SandboxTemplate -Name "$name-b" -Force -ErrorAction Stop } | Should -Throw -ExpectedMessage '*used by sandboxes*'
        Remove-Sandbox -Name $box.Id -Force
        Remove-SandboxTemplate -Name "$name-b" -Force
        { Get-SandboxTemplate -Name "$name-b" -ErrorAction Stop } | Should -Throw -ErrorId 'TemplateNotFound,SandboxModule.GetSandboxTemplateCommand'
    }

    It 'reports leap0 validation errors under the parameter' {
        { New-Sandbox -Vcpu 9 -ErrorAction Stop } | Should -Throw -ExpectedMessage '*Vcpu*'
    }

    It 'gives invoke and WebSocket URLs as leap0 builds them' {
        $sandbox = New-Sandbox
        $authority = ([uri]$script:ctx.Server.Endpoint).Authority
        (Get-SandboxUrl -Sandbox $sandbox -Port 8080 -InvokeUrl).ToString() | Should -Be "http://$($sandbox.Id)-8080.$authority/"
        $withDomain = Connect-Sandbox -Provider Leap0 -Endpoint $script:ctx.Server.Endpoint -ApiKey $script:secureKey -SandboxDomain 'sandbox.localhost:8443'
        try {
            (Get-SandboxUrl -Sandbox $sandbox.Id -InvokeUrl -Path api/v1 -Connection $withDomain).ToString() | Should -Be "https://$($sandbox.Id).sandbox.localhost:8443/api/v1"
            (Get-SandboxUrl -Sandbox $sandbox.Id -Port 3000 -InvokeUrl -WebSocket -Connection $withDomain).ToString() | Should -Be "wss://$($sandbox.Id)-3000.sandbox.localhost:8443/"
        }
        finally {
            $script:l0 = Connect-Sandbox -Provider Leap0 -Endpoint $script:ctx.Server.Endpoint -ApiKey $script:secureKey
        }
    }

    It 'answers not supported by this endpoint (leap0) for what leap0 lacks' {
        $sandbox = New-Sandbox
        { New-SandboxVolume -Name (New-TestName -Prefix 'vol') -Size 16Mi -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
        { New-SandboxPool -Name (New-TestName -Prefix 'pool') -Template base -Replicas 1 -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
        { Rename-Sandbox -Name $sandbox.Id -NewName 'other' -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
        { Get-SandboxUrl -Sandbox $sandbox -Path /etc/hostname -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
        { New-Sandbox -Name 'named' -ErrorAction Stop } | Should -Throw -ExpectedMessage '*not supported by this endpoint (leap0)*'
    }

    It 'gives the invoke URL on LangSmith as not supported naming LangSmith' {
        $sandbox = New-Sandbox -Template base -Connection $script:ctx.Connection
        { Get-SandboxUrl -Sandbox $sandbox.Name -InvokeUrl -Connection $script:ctx.Connection -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*not supported by this endpoint (LangSmith)*'
    }
}
