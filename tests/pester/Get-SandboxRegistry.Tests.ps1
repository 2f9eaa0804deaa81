# Pester 5 tests of Get-SandboxRegistry against a private local server (see Common.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ctx = Start-SandboxTestServer
    $cred = [pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))
    $script:prefix = New-TestName -Prefix 'greg'
    $script:one = New-SandboxRegistry "$($script:prefix)-one" registry.example.test -Credential $cred
    $script:two = New-SandboxRegistry "$($script:prefix)-two" https://registry.example.test:5000/x -Credential $cred
}

AfterAll {
    Get-SandboxRegistry "$($script:prefix)*" | Remove-SandboxRegistry -Force
    Stop-SandboxTestServer -Context $script:ctx
}

Describe 'Get-SandboxRegistry' {
    It 'gets a registry by name and by wildcard pattern' {
        (Get-SandboxRegistry "$($script:prefix)-one").Id | Should -Be $script:one.Id
        (Get-SandboxRegistry "$($script:prefix)-*").Name | Sort-Object | Should -Be @("$($script:prefix)-one", "$($script:prefix)-two")
        Get-SandboxRegistry 'no-match-*' | Should -BeNullOrEmpty
        (Get-SandboxRegistry).Name | Should -Contain "$($script:prefix)-two"
    }

    It 'reports a missing name as RegistryNotFound' {
        { Get-SandboxRegistry 'no-such-registry' -ErrorAction Stop } | Should -Throw -ErrorId 'RegistryNotFound,SandboxModule.GetSandboxRegistryCommand'
    }

    It 'shows a table of Name, Url, AuthType and CreatedAt and completes names' {
        $text = Get-SandboxRegistry "$($script:prefix)-two" | Format-Table | Out-String -Width 200
        $text | Should -Match 'Name\s+Url\s+AuthType\s+CreatedAt'
        $text | Should -Match 'https://registry.example.test:5000/x'
        $line = "Get-SandboxRegistry $($script:prefix)-t"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @("$($script:prefix)-two")
    }
}
