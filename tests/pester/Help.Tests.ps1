# Pester 5: every command the built module exports has a synopsis, a description, at least one example and a
# description of every parameter (the en-US MAML help that the build makes from docs/cmdlets).

BeforeDiscovery {
    $root = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    Import-Module ($env:SANDBOX_TEST_MODULE ?? (Join-Path $root 'out/Sandbox/Sandbox.psd1')) -Force -ErrorAction Stop
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    $commands = foreach ($command in Get-Command -Module Sandbox) {
        @{
            Name = $command.Name
            Parameters = @($command.Parameters.Values | Where-Object { $_.Name -notin $common -and -not ($_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }) } | ForEach-Object Name | Sort-Object)
        }
    }
}

BeforeAll {
    $script:root = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    Import-Module ($env:SANDBOX_TEST_MODULE ?? (Join-Path $script:root 'out/Sandbox/Sandbox.psd1')) -Force -ErrorAction Stop
}

Describe 'The module manifest' {
    BeforeAll {
        # The truth the manifests are held to: every [Cmdlet] class in the cmdlet assembly, and one help page each.
        $script:cmdletClasses = @((Get-Module -Name Sandbox).ImplementingAssembly.GetExportedTypes() |
                ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
                ForEach-Object { '{0}-{1}' -f $_.VerbName, $_.NounName } |
                Sort-Object)
        $script:helpPages = @(Get-ChildItem -Path (Join-Path $script:root 'docs/cmdlets') -Filter '*.md' |
                ForEach-Object BaseName | Sort-Object)
    }

    It 'is valid <Where> and exports every cmdlet of the module by name' -ForEach @(
        @{ Where = 'in place at the repository root'; Path = 'Sandbox.psd1' }
        @{ Where = 'as staged in out/Sandbox'; Path = 'out/Sandbox/Sandbox.psd1' }
    ) {
        $manifest = Test-ModuleManifest -Path (Join-Path $script:root $Path) -ErrorAction Stop
        $exported = @($manifest.ExportedCmdlets.Keys | Sort-Object)
        $exported | Should -Be $script:cmdletClasses
        $exported | Should -Be $script:helpPages
        $manifest.PowerShellVersion | Should -Be ([version]'7.4')
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.LicenseUri | Should -Not -BeNullOrEmpty
        Join-Path $manifest.ModuleBase 'LICENSE' | Should -Exist
    }

    It 'exports only approved verbs' {
        $approved = (Get-Verb).Verb
        foreach ($command in Get-Command -Module Sandbox) {
            $command.Verb | Should -BeIn $approved
        }
    }
}

Describe 'Help for <Name>' -ForEach $commands {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ('^\s*' + [regex]::Escape($Name) + '\s')
    }

    It 'has a description' {
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has an example with code and a remark' {
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterThan 0
        $examples[0].Code | Should -Not -BeNullOrEmpty
        ($examples[0].Remarks.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has a HelpUri and an online version that name its page in the repository' -Tag 'Issue13', 'Issue13.P9' {
        # One base for every cmdlet (HelpLinks.Base in src/SandboxModule/Attributes.cs): the repository's docs/cmdlets on main.
        $base = 'https://github.com/sandbox-module/Sandbox/blob/main/'
        $uri = (Get-Command -Name $Name).HelpUri
        $uri | Should -Be "${base}docs/cmdlets/$Name.md"
        Join-Path $script:root $uri.Substring($base.Length) | Should -Exist
        # Get-Help -Online opens the MAML's first link, made from the page's 'online version'.
        @($help.relatedLinks.navigationLink)[0].uri | Should -Be $uri
    }

    It 'describes the parameter -<_>' -ForEach $Parameters {
        $parameterHelp = $help.Parameters.Parameter | Where-Object Name -EQ $_
        $parameterHelp | Should -Not -BeNullOrEmpty
        ($parameterHelp.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }
}

Describe 'about_Sandbox' {
    It 'is found by Get-Help and covers the configuration chain, runspaces, protocols and troubleshooting' -Tag 'Issue13', 'Issue13.P9' {
        $about = Get-Help -Name about_Sandbox | Out-String
        $about | Should -Match 'THE CONFIGURATION CHAIN'
        foreach ($word in 'SANDBOX_ENDPOINT', 'SANDBOX_API_KEY', 'LANGSMITH_ENDPOINT', 'LEAP0_API_KEY', '-Provider Leap0',
            '-Scope Runspace', 'ForEach-Object -Parallel', 'Start-ThreadJob', '/v2/sandboxes', '/v1', '-Debug', 'XDG_DATA_HOME') {
            $about | Should -Match ([regex]::Escape($word))
        }
        Join-Path $script:root 'out/Sandbox/en-US/about_Sandbox.help.txt' | Should -Exist
    }
}
