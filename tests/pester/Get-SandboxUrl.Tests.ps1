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
        # -Port with -Path is an invoke URL's port and path: without -InvokeUrl it is missing.
        { Get-SandboxUrl -Sandbox $script:box -Port 8080 -Path x -ErrorAction Stop } | Should -Throw -ErrorId 'MissingMandatoryParameter,SandboxModule.GetSandboxUrlCommand'
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
            $listing = & ([scriptblock]::Create($code.Replace('-Sandbox web', "-Sandbox $($web.Name)")))
            "$listing" | Should -Match 'Directory listing'
        }
        finally {
            $web | Remove-Sandbox -Force
        }
    }
}
