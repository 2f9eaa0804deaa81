#!/usr/bin/env bash
# The user's path on a fresh machine (Debian 12, root): install what is missing, build and package the module, install
# the package with Install-PSResource from a local repository into a fresh module path, then in a new pwsh:
#
#   New-Sandbox -Template python | Invoke-SandboxCommand 'python --version'
#
# (the installed module starts its bundled local server on first use), and clean up: the sandbox, the server the module
# started, the repository registration and the install folder.
#   SANDBOX_PORT and SANDBOX_DATA_DIR: run the module's server there (Start-SandboxServer) instead of the default
#   127.0.0.1:8765 and /var/lib/sandbox. SANDBOX_DEMO_RUNTIMES (default: linux-x64 linux-arm64): what to package.
set -euo pipefail
cd "$(dirname "$0")/.."
repo_root=$(pwd)
export PATH="$PATH:$HOME/.dotnet/tools"

echo "== installing dependencies"
./scripts/install-deps.sh >/dev/null
echo "== building and packaging the module (build.ps1 -Task Package)"
runtimes=${SANDBOX_DEMO_RUNTIMES:-linux-x64 linux-arm64}
pwsh -NoProfile -NonInteractive -File build.ps1 -Task Package -ServerRuntime "${runtimes// /,}" >/tmp/sandbox-demo-build.log 2>&1 ||
  { tail -30 /tmp/sandbox-demo-build.log; echo "== packaging failed (full log: /tmp/sandbox-demo-build.log)"; exit 1; }

# A fresh module path: PSResourceGet installs CurrentUser modules under $HOME/.local/share/powershell/Modules and
# keeps its repository list under $XDG_DATA_HOME, so a pwsh with both in a new folder is a machine where the module
# was never installed (and your own module path and repositories stay untouched).
fresh=$(mktemp -d /tmp/sandbox-demo-XXXXXX)
# The folder must exist: .NET answers "" for a LocalApplicationData folder that does not, and PSResourceGet then
# keeps its repository list in the current directory.
mkdir -p "$fresh/.local/share"
fresh_env=(env -u PSModulePath HOME="$fresh" XDG_DATA_HOME="$fresh/.local/share")
cleanup() { rm -rf "$fresh"; }
trap cleanup EXIT

echo "== Install-PSResource Sandbox from out/packages into $fresh"
"${fresh_env[@]}" pwsh -NoProfile -NonInteractive -Command "
  \$ErrorActionPreference = 'Stop'
  Register-PSResourceRepository -Name SandboxLocal -Uri '$repo_root/out/packages' -Trusted
  Install-PSResource -Name Sandbox -Repository SandboxLocal -Scope CurrentUser -Quiet
  Get-InstalledPSResource -Name Sandbox | Format-Table Name, Version, InstalledLocation -AutoSize
"

echo "== in a new pwsh: New-Sandbox -Template python | Invoke-SandboxCommand 'python --version'"
"${fresh_env[@]}" SANDBOX_PORT="${SANDBOX_PORT:-}" SANDBOX_DATA_DIR="${SANDBOX_DATA_DIR:-}" pwsh -NoProfile -NonInteractive -Command '
  $ErrorActionPreference = "Stop"
  Import-Module Sandbox
  "module: {0}" -f (Get-Module Sandbox).ModuleBase
  $server = $null
  $runningBefore = @(Get-SandboxServer | Where-Object IsRunning | ForEach-Object DataDirectory)
  if ($env:SANDBOX_PORT -or $env:SANDBOX_DATA_DIR) {
      $port = if ($env:SANDBOX_PORT) { [int]$env:SANDBOX_PORT } else { 0 }
      $dir = if ($env:SANDBOX_DATA_DIR) { $env:SANDBOX_DATA_DIR } else { Join-Path ([IO.Path]::GetTempPath()) "sandbox-demo-data" }
      $server = Start-SandboxServer -Port $port -DataDirectory $dir -Confirm:$false
      Connect-Sandbox -Server $server | Out-Null
  }
  $status = 0
  try {
      $box = New-Sandbox -Template python
      $box | Invoke-SandboxCommand "python --version"
  }
  catch {
      Write-Host "failed: $($_.FullyQualifiedErrorId): $($_.Exception.Message)"
      $status = 1
  }
  finally {
      if ($box) { $box | Remove-Sandbox -Force -ErrorAction Continue }
      # Stop the server the module started here (a server that already ran stays).
      Get-SandboxServer | Where-Object { $_.StartedByModule -and $_.IsRunning -and $_.DataDirectory -notin $runningBefore } |
          ForEach-Object { Stop-SandboxServer -DataDirectory $_.DataDirectory -Confirm:$false; "stopped the server the module started ({0})" -f $_.Endpoint }
  }
  exit $status
'
echo "== done"
