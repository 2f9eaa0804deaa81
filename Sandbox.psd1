# Module manifest for the Sandbox module: binary cmdlets (SandboxModule.dll) over the Sandbox.Client HTTP core.
# This file at the repository root is valid in place once `dotnet build Sandbox.slnx` has staged out/Sandbox
# (Test-ModuleManifest ./Sandbox.psd1, Import-Module ./Sandbox.psd1 load that build). The build stages a copy as
# out/Sandbox/Sandbox.psd1 with the out/Sandbox/ prefix of each quoted path removed (src/SandboxModule/Module.targets); nothing
# else differs.
@{
    RootModule = 'out/Sandbox/SandboxModule.dll'
    ModuleVersion = '0.1.0'
    CompatiblePSEditions = @('Core')
    GUID = 'dbcf9723-dce7-412e-84bf-2dbb17cb4681'
    Author = 'Sandbox contributors'
    CompanyName = 'Sandbox contributors'
    Copyright = '(c) 2026 Sandbox contributors. MIT License.'
    Description = 'Create, drive and clean up isolated code sandboxes from PowerShell: sandboxes, templates, commands and files on a LangSmith-compatible endpoint or the bundled local server. The cmdlets run wherever pwsh 7.4+ runs against a hosted endpoint (Connect-Sandbox -Endpoint). The bundled local server (self-contained, no .NET install needed) runs on Linux x64 and arm64 only, as root, and needs runc, mkfs.ext4, losetup, ip and nft on PATH and the seccomp profile /usr/share/containers/seccomp.json (Debian: apt-get install runc e2fsprogs mount iproute2 nftables golang-github-containers-common); the module checks these before it starts the server and says what is missing.'
    PowerShellVersion = '7.4'
    RequiredAssemblies = @('out/Sandbox/Sandbox.Client.dll', 'out/Sandbox/Sandbox.Module.Support.dll', 'out/Sandbox/Sandbox.Server.Launcher.dll')
    FormatsToProcess = @('out/Sandbox/Sandbox.format.ps1xml')
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
        'Enter-Sandbox'
        'Get-SandboxMetric'
        'Set-SandboxNetworkPolicy'
        'Invoke-SandboxCommand'
        'Copy-SandboxItem'
        'Get-SandboxContent'
        'Set-SandboxContent'
        'Get-SandboxUrl'
        'Get-SandboxChildItem'
        'Select-SandboxString'
        'Get-SandboxTemplate'
        'New-SandboxTemplate'
        'Rename-SandboxTemplate'
        'Remove-SandboxTemplate'
        'New-SandboxSnapshot'
        'Get-SandboxSnapshot'
        'Remove-SandboxSnapshot'
        'New-SandboxRegistry'
        'Get-SandboxRegistry'
        'Set-SandboxRegistry'
        'Rename-SandboxRegistry'
        'Remove-SandboxRegistry'
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
            ReleaseNotes = '0.1.0: first release. Connections, sandboxes, templates, commands (buffered and streamed), files, Use-Sandbox, and the bundled local server. Prerequisites of the local server: Linux x64 or arm64, root, runc on PATH, /usr/share/containers/seccomp.json (Debian: apt-get install runc golang-github-containers-common). Against a hosted endpoint: pwsh 7.4+ on any platform.'
        }
    }
}
