# Pester 5: what the module says, in real pwsh, when this machine lacks what the local server needs. The check runs
# before anything is launched (LocalServerPrerequisites), so the failure is an ErrorRecord with a stable id, a category
# and a message naming the missing programs and their Debian packages, and no server is left behind.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SandboxTestModule
}

Describe 'The local server''s prerequisites' {
    It 'names every program missing from PATH with its package, as SandboxServerMissingDependency, and starts nothing' {
        $dir = Join-Path $TestDrive 'data'
        $saved = $env:PATH
        $env:PATH = Join-Path $TestDrive 'empty-path'
        try {
            $record = $null
            try {
                Start-SandboxServer -Port 0 -DataDirectory $dir -ErrorAction Stop | Out-Null
            }
            catch {
                $record = $_
            }
        }
        finally {
            $env:PATH = $saved
        }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -BeLike 'SandboxServerMissingDependency*'
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        foreach ($program in 'runc', 'mkfs.ext4', 'losetup', 'ip', 'nft') {
            $record.Exception.Message | Should -Match ([regex]::Escape("$program is not on PATH"))
        }
        $record.Exception.Message | Should -Match 'apt-get install runc e2fsprogs mount iproute2 nftables'
        # Nothing was launched: no API key, no server answering for that data directory.
        Join-Path $dir 'api-key' | Should -Not -Exist
        @(Get-SandboxServer | Where-Object DataDirectory -EQ $dir) | Should -BeNullOrEmpty
    }
}
