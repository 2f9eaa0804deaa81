# Pester 5 tests of what users read when a call fails (issue 13, problem 1): one sentence naming the parameter they
# typed and what is allowed, never the server's raw JSON; the raw body stays on the exception.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
}

AfterAll {
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Error records' {
    It 'names the parameter the user typed, with the value given as the target' -Tag 'Issue13', 'Issue13.P1' {
        $name = New-TestName -Prefix 'err'
        $err = $null
        New-Sandbox -Template base -Name $name -MemoryMB 100000000 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].ErrorDetails.Message | Should -Match '^-MemoryMB \(sent as ''mem_bytes''\): must be between \d+ and \d+'
        $err[0].ErrorDetails.Message | Should -Not -Match '[{}]'
        $err[0].TargetObject | Should -Be 100000000
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.ResponseBody | Should -Match '"mem_bytes"'
        Get-Sandbox -Name $name -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'names every bad parameter of one call' -Tag 'Issue13', 'Issue13.P1' {
        $err = $null
        New-Sandbox -Template base -Name 'Not_A_Name' -AllowCidr 'not-a-cidr' -NetworkPolicy custom -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].ErrorDetails.Message | Should -Match '-Name \(sent as ''name''\): must be 1-63 lowercase letters'
        $err[0].ErrorDetails.Message | Should -Match '-AllowCidr \(sent as ''network_policy.allow_cidrs''\).*not-a-cidr'
    }

    It 'says what was not found in words, keeping the stable id and the raw body' -Tag 'Issue13', 'Issue13.P1' {
        $missing = New-TestName -Prefix 'missing'
        $err = $null
        Get-Sandbox -Name $missing -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'SandboxNotFound,SandboxModule.GetSandboxCommand'
        $err[0].ErrorDetails.Message | Should -Match "^Sandbox '$missing' not found"
        $err[0].ErrorDetails.Message | Should -Not -Match '\{'
        $err[0].Exception.ResponseBody | Should -Match '"SandboxNotFound"'
        $err[0].Exception.ErrorType | Should -Be 'SandboxNotFound'
    }

    It 'shows the sentence where pwsh prints the error' -Tag 'Issue13', 'Issue13.P1' {
        $text = try { Get-Sandbox -Name (New-TestName -Prefix 'shown') -ErrorAction Stop } catch { $_ | Out-String }
        $text | Should -Match 'not found'
        $text | Should -Not -Match '"detail"'
    }
}
