# Pester 5 tests of Get-SandboxUrl against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $script:box = New-Sandbox -Template base
    $script:box | Invoke-SandboxCommand 'mkdir -p /home/user/site && echo pester-hello > /home/user/site/hello.txt && cd /home/user/site && (setsid python3 -m http.server 8080 --bind 127.0.0.1 < /dev/null > /tmp/http.log 2>&1 &)' | Out-Null
    # Bounded wait inside the sandbox until the server listens (at most 10 s).
    $script:box | Invoke-SandboxCommand 'for i in $(seq 100); do python3 -c "import socket; socket.create_connection((\"127.0.0.1\", 8080), 1)" 2>/dev/null && exit 0; sleep 0.1; done; exit 1' | Out-Null
}

AfterAll {
    if ($script:box) { $script:box | Remove-Sandbox -Force }
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxUrl' {
    It 'returns a typed service URL that reaches the web server with the token header' {
        $url = $script:box | Get-SandboxUrl -Port 8080
        $url | Should -BeOfType ([Sandbox.Client.SandboxServiceUrl])
        $url.SandboxName | Should -Be $script:box.Name
        $url.Port | Should -Be 8080
        $url.ServiceUrl | Should -BeLike "http://*/v2/sandboxes/service/$($script:box.Id)/8080"
        $url.BrowserUrl | Should -Be "$($url.ServiceUrl)/?token=$($url.Token)"
        $body = Invoke-RestMethod -Uri "$($url.ServiceUrl)/hello.txt" -Headers @{ 'X-Langsmith-Sandbox-Service-Token' = $url.Token }
        $body.Trim() | Should -Be 'pester-hello'
    }

    It 'refuses a request without the token' {
        $url = Get-SandboxUrl -Sandbox $script:box.Name -Port 8080
        $response = Invoke-WebRequest -Uri "$($url.ServiceUrl)/hello.txt" -SkipHttpErrorCheck
        $response.StatusCode | Should -Be 401
    }

    It 'gives the ws:// form with -WebSocket and honours -ExpiresIn' {
        $url = Get-SandboxUrl -Sandbox $script:box -Port 8080 -WebSocket -ExpiresIn 120
        $url.ServiceUrl | Should -BeLike 'ws://*'
        $url.BrowserUrl | Should -BeLike 'ws://*?token=*'
        ($url.ExpiresAt - [DateTimeOffset]::UtcNow).TotalSeconds | Should -BeLessOrEqual 121
    }

    It 'shows a table view' {
        $text = Get-SandboxUrl -Sandbox $script:box -Port 8080 | Format-Table | Out-String
        $text | Should -Match 'SandboxName'
        $text | Should -Match 'ServiceUrl'
    }

    It 'reports a missing sandbox as SandboxNotFound' {
        { Get-SandboxUrl -Sandbox 'no-such-sandbox' -Port 8080 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxNotFound,SandboxModule.GetSandboxUrlCommand'
    }

    It 'gives a download link with -Path that serves the file without the API key, with Range, and resumes a download' {
        $link = $script:box | Get-SandboxUrl -Path site/hello.txt -ExpiresIn 300
        $link | Should -BeOfType ([Sandbox.Client.SandboxDownloadLink])
        $link.SandboxName | Should -Be $script:box.Name
        $link.Path | Should -Be 'site/hello.txt'
        ($link.ExpiresAt - [DateTimeOffset]::UtcNow).TotalSeconds | Should -BeLessOrEqual 301
        (Invoke-WebRequest -Uri $link.DownloadUrl).Content | Should -Be ([Text.Encoding]::UTF8.GetBytes("pester-hello`n"))
        $part = Invoke-WebRequest -Uri $link.DownloadUrl -Headers @{ Range = 'bytes=7-' } -SkipHttpErrorCheck
        $part.StatusCode | Should -Be 206
        [Text.Encoding]::UTF8.GetString($part.Content) | Should -Be "hello`n"
        # The link is the secret: a wrong token is refused.
        (Invoke-WebRequest -Uri ($link.DownloadUrl -replace '[^/]+$', 'not-a-token') -SkipHttpErrorCheck).StatusCode | Should -Be 404
    }

    It 'offers -Path and -Port as two parameter sets, -WebSocket only with -Port; both together only with -InvokeUrl' {
        $sets = (Get-Command Get-SandboxUrl).ParameterSets
        ($sets | Where-Object Name -eq 'File').Parameters.Name | Should -Contain 'Path'
        ($sets | Where-Object Name -eq 'File').Parameters.Name | Should -Not -Contain 'WebSocket'
        ($sets | Where-Object Name -eq 'Invoke').Parameters.Name | Should -Contain 'Path'
        ($sets | Where-Object Name -eq 'Invoke').Parameters.Name | Should -Contain 'Port'
        ($sets | Where-Object Name -eq 'Invoke').Parameters.Name | Should -Not -Contain 'ExpiresIn'
        # -Port with -Path is an invoke URL's port and path: only the Invoke set has both, and there -InvokeUrl is mandatory
        # (checked on the metadata: calling it without -InvokeUrl would prompt for it in an interactive host).
        @($sets | Where-Object { $_.Parameters.Name -contains 'Port' -and $_.Parameters.Name -contains 'Path' }).Name | Should -Be @('Invoke')
        (($sets | Where-Object Name -eq 'Invoke').Parameters | Where-Object Name -eq 'InvokeUrl').IsMandatory | Should -BeTrue
    }

    It 'rejects a port out of range' {
        { Get-SandboxUrl -Sandbox $script:box -Port 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,SandboxModule.GetSandboxUrlCommand'
    }
}

Describe 'Get-SandboxUrl help' {
    It 'has a first example that waits for the web server it starts (run as written, on a fresh sandbox)' -Tag 'Issue13', 'Issue13.P9' {
        # The example as the module's help ships it (built from docs/cmdlets/Get-SandboxUrl.md).
        $code = (Get-Help Get-SandboxUrl -Examples).examples.example[0].code
        $code | Should -Match 'http\.server'
        $web = New-Sandbox -Template base
        try {
            # The web server starts 2 s late, as a slow one would: an example that does not wait for it fails every time.
            $code = $code.Replace('-Sandbox web', "-Sandbox $($web.Name)").Replace('setsid python3 -m http.server 8080', 'setsid sh -c "sleep 2; exec python3 -m http.server 8080"')
            $code | Should -Match 'sleep 2'
            $listing = & ([scriptblock]::Create($code))
            "$listing" | Should -Match 'Directory listing'
        }
        finally {
            $web | Remove-Sandbox -Force
        }
    }
}

Describe 'Get-SandboxUrl -InvokeUrl on the local server''s data plane (leap0)' {
    BeforeAll {
        $script:dp = Start-SandboxTestServer -DataPlanePort (Get-FreeTcpPort)
        $script:dpKey = (Get-Content -LiteralPath $script:dp.Server.ApiKeyFile -Raw).Trim()
        $script:l0 = Connect-Sandbox -Server $script:dp.Server -Provider Leap0
        $script:web = New-Sandbox -Connection $script:l0
        $start = "mkdir -p /tmp/www && echo served-by-the-sandbox > /tmp/www/index.html && cd /tmp/www && " +
            "(setsid python3 -m http.server 8090 --bind 127.0.0.1 < /dev/null > /tmp/http.log 2>&1 &) && " +
            "for i in `$(seq 100); do python3 -c 'import socket; socket.create_connection((""127.0.0.1"", 8090), 1)' 2>/dev/null && exit 0; sleep 0.1; done; exit 1"
        $script:started = Invoke-SandboxCommand $start -Sandbox $script:web -Connection $script:l0
    }

    AfterAll {
        if ($script:l0) { Disconnect-Sandbox -Connection $script:l0 -ErrorAction SilentlyContinue }
        Stop-SandboxTestServer -Context $script:dp
        # The file's other blocks (and its AfterAll) use the default connection: it goes back to the first server.
        $null = Connect-Sandbox -Server $script:ctx.Server -ErrorAction SilentlyContinue
    }

    It 'connects to the local server''s /v1 with the data plane''s domain' {
        $script:dp.Server.DataPlaneDomain | Should -Match '^sandbox\.localhost:\d+$'
        $script:l0.Provider | Should -Be 'Leap0'
        $script:l0.IsLocalServer | Should -BeTrue
        $script:l0.Endpoint | Should -Be $script:dp.Server.Endpoint
        $script:l0.SandboxDomain | Should -Be $script:dp.Server.DataPlaneDomain
        $script:started.ExitCode | Should -Be 0
    }

    It 'connects with -Local -Provider Leap0 to the server last started, with its data plane' {
        # -Local takes the last server Start-SandboxServer started in this runspace: the data-plane server of this block.
        $local = Connect-Sandbox -Local -Provider Leap0
        try {
            $local.Endpoint | Should -Be $script:dp.Server.Endpoint
            $local.Provider | Should -Be 'Leap0'
            $local.SandboxDomain | Should -Be $script:dp.Server.DataPlaneDomain
            (Get-SandboxUrl -Sandbox $script:web.Id -Port 8090 -InvokeUrl).ToString() | Should -Be "https://$($script:web.Id)-8090.$($script:dp.Server.DataPlaneDomain)/"
        }
        finally {
            Disconnect-Sandbox -Connection $local
            $script:l0 = Connect-Sandbox -Server $script:dp.Server -Provider Leap0
        }
    }

    It 'gives an https invoke URL on the data plane that curl reaches with the key and the server''s CA' {
        $url = Get-SandboxUrl -Sandbox $script:web -Port 8090 -InvokeUrl -Path /index.html -Connection $script:l0
        $url.ToString() | Should -Be "https://$($script:web.Id)-8090.$($script:dp.Server.DataPlaneDomain)/index.html"
        # curl resolves *.localhost to the loopback itself (.NET does not), and trusts only the server's CA here.
        $body = curl --silent --show-error --fail --max-time 30 --cacert $script:dp.Server.DataPlaneCertificateAuthority -H "authorization: Bearer $script:dpKey" $url.ToString()
        $LASTEXITCODE | Should -Be 0
        $body | Should -Be 'served-by-the-sandbox'
        $status = curl --silent --output /dev/null --write-out '%{http_code}' --max-time 30 --cacert $script:dp.Server.DataPlaneCertificateAuthority $url.ToString()
        $status | Should -Be '401'
        $status = curl --silent --output /dev/null --write-out '%{http_code}' --max-time 30 --cacert $script:dp.Server.DataPlaneCertificateAuthority -H 'authorization: Bearer not-the-key' $url.ToString()
        $status | Should -Be '401'
    }

    It 'gives a presigned URL on the data plane that curl reaches without the key' {
        $presigned = Get-SandboxUrl -Sandbox $script:web -Port 8090 -ExpiresIn 300 -Connection $script:l0
        $presigned.ServiceUrl | Should -Match ('^https://[^./]+\.' + [regex]::Escape($script:dp.Server.DataPlaneDomain) + '/?$')
        $body = curl --silent --show-error --fail --max-time 30 --cacert $script:dp.Server.DataPlaneCertificateAuthority "$($presigned.ServiceUrl.TrimEnd('/'))/index.html"
        $LASTEXITCODE | Should -Be 0
        $body | Should -Be 'served-by-the-sandbox'
    }

    It 'takes an explicit -SandboxDomain over the data plane''s' {
        $other = Connect-Sandbox -Server $script:dp.Server -Provider Leap0 -SandboxDomain 'sandbox.example.test:9443'
        try {
            $other.SandboxDomain | Should -Be 'sandbox.example.test:9443'
            (Get-SandboxUrl -Sandbox $script:web.Id -Port 3000 -InvokeUrl -Connection $other).ToString() | Should -Be "https://$($script:web.Id)-3000.sandbox.example.test:9443/"
        }
        finally {
            Disconnect-Sandbox -Connection $other
            $script:l0 = Connect-Sandbox -Server $script:dp.Server -Provider Leap0
        }
    }

    It 'refuses -SandboxDomain for a LangSmith connection to the local server' {
        { Connect-Sandbox -Server $script:dp.Server -SandboxDomain 'x.example' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SandboxDomainNeedsLeap0,SandboxModule.ConnectSandboxCommand'
    }

    It 'refuses an invoke URL from a local server without a data plane, saying to start it with -DataPlanePort' {
        $script:ctx.Server.DataPlaneDomain | Should -BeNullOrEmpty
        $plain = Connect-Sandbox -Server $script:ctx.Server -Provider Leap0
        try {
            $plain.SandboxDomain | Should -BeNullOrEmpty
            { Get-SandboxUrl -Sandbox $script:box.Id -Port 8080 -InvokeUrl -Connection $plain -ErrorAction Stop } |
                Should -Throw -ErrorId 'SandboxDataPlaneOff,SandboxModule.GetSandboxUrlCommand'
            { Get-SandboxUrl -Sandbox $script:box.Id -Port 8080 -InvokeUrl -Connection $plain -ErrorAction Stop } |
                Should -Throw -ExpectedMessage '*without a data plane*Start-SandboxServer -DataPlanePort*'
        }
        finally {
            Disconnect-Sandbox -Connection $plain
            $script:l0 = Connect-Sandbox -Server $script:dp.Server -Provider Leap0
        }
    }
}
