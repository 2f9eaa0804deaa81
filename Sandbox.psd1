# Module manifest for the Sandbox module: binary cmdlets (SandboxModule.dll) over the Sandbox.Client HTTP core.
@{
    RootModule = 'SandboxModule.dll'
    ModuleVersion = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID = 'dbcf9723-dce7-412e-84bf-2dbb17cb4681'
    Author = 'The Sandbox contributors'
    CompanyName = 'The Sandbox contributors'
    Copyright = '(c) The Sandbox contributors. All rights reserved.'
    Description = 'Create, drive and clean up isolated code sandboxes from PowerShell: sandboxes, templates, commands and files on a LangSmith-compatible endpoint or the bundled local server.'
    PowerShellVersion = '7.4'
    RequiredAssemblies = @('Sandbox.Client.dll')
    FormatsToProcess = @('Sandbox.format.ps1xml')
    FunctionsToExport = @()
    CmdletsToExport = @(
        'Connect-Sandbox'
        'Disconnect-Sandbox'
        'Get-SandboxConnection'
        'New-Sandbox'
        'Get-Sandbox'
        'Rename-Sandbox'
        'Remove-Sandbox'
        'Stop-Sandbox'
        'Start-Sandbox'
        'Wait-Sandbox'
        'Suspend-Sandbox'
        'Resume-Sandbox'
        'Get-SandboxMetric'
        'Set-SandboxNetworkPolicy'
        'Invoke-SandboxCommand'
        'Copy-SandboxItem'
        'Get-SandboxContent'
        'Set-SandboxContent'
        'Get-SandboxUrl'
        'Get-SandboxTemplate'
        'New-SandboxTemplate'
        'Rename-SandboxTemplate'
        'Remove-SandboxTemplate'
        'New-SandboxSnapshot'
        'Get-SandboxSnapshot'
        'Remove-SandboxSnapshot'
        'New-SandboxPool'
        'Get-SandboxPool'
        'Set-SandboxPool'
        'Rename-SandboxPool'
        'Remove-SandboxPool'
        'New-SandboxVolume'
        'Get-SandboxVolume'
        'Resize-SandboxVolume'
        'Rename-SandboxVolume'
        'Remove-SandboxVolume'
        'Use-Sandbox'
        'Start-SandboxServer'
        'Stop-SandboxServer'
        'Get-SandboxServer'
    )
    VariablesToExport = @()
    AliasesToExport = @()
    PrivateData = @{
        PSData = @{
            Tags = @('Sandbox', 'Sandboxes', 'Isolation', 'Container', 'LangSmith', 'CodeExecution', 'Linux', 'PSEdition_Core')
            ProjectUri = 'https://github.com/sandbox-module/Sandbox'
            LicenseUri = 'https://github.com/sandbox-module/Sandbox/blob/main/LICENSE'
            ReleaseNotes = '0.1.0: first release. Connections, sandboxes, templates, commands (buffered and streamed), files, Use-Sandbox, and the bundled local server.'
        }
    }
}
