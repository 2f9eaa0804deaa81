#!/usr/bin/env bash
# Installs what the local sandbox server and its tests need on a fresh Debian 12 machine (run as root).
#   pwsh: PowerShell 7.6.9 as a dotnet global tool (~/.dotnet/tools/pwsh), unless a pwsh >= 7.4 is already on PATH
#         or in ~/.dotnet/tools; SANDBOX_SKIP_PWSH=1 skips it altogether.
#   Pester 5.7.1 from NuGet into ~/.nuget/packages/pester/5.7.1 (tests/pester/Pester.csproj, a PackageDownload).
#   The LangSmith JS SDK (tests/js/node_modules, npm ci) for the compatibility tests.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
need=()
command -v runc >/dev/null || need+=(runc)                          # the OCI runtime every sandbox runs under
[ -f /usr/share/containers/seccomp.json ] || need+=(golang-github-containers-common)  # the seccomp profile sandboxes start from
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)                # each sandbox's writable filesystem, volumes
[ -e /usr/bin/python ] || need+=(python-is-python3)   # `python --version` inside host-image sandboxes
command -v cc >/dev/null || need+=(gcc libc6-dev)     # builds sandbox-init
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)         # network policies (rules inside sandbox namespaces, NAT)
command -v curl >/dev/null || need+=(curl)
command -v node >/dev/null || need+=(nodejs)          # the LangSmith JS SDK compatibility tests (tests/js)
command -v npm >/dev/null || need+=(npm)
command -v tmux >/dev/null || need+=(tmux)          # a real terminal for the Enter-Sandbox Pester test
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)  # sandbox-init for linux-arm64 in the package
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PowerShell: any pwsh >= 7.4 will do; otherwise the pinned dotnet global tool.
pwsh_ok() { "$1" -NoProfile -NonInteractive -Command 'if ($PSVersionTable.PSVersion -ge [version]"7.4") { exit 0 } else { exit 1 }' >/dev/null 2>&1; }
if [ "${SANDBOX_SKIP_PWSH:-}" != 1 ]; then
  pwsh_found=
  for candidate in "$(command -v pwsh || true)" "$HOME/.dotnet/tools/pwsh"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && pwsh_ok "$candidate"; then pwsh_found=$candidate; break; fi
  done
  if [ -z "$pwsh_found" ]; then
    dotnet tool install --global PowerShell --version 7.6.9 >/dev/null
    pwsh_found="$HOME/.dotnet/tools/pwsh"
  fi
fi

# Pester 5.7.1 (the tests import ~/.nuget/packages/pester/5.7.1/tools/Pester.psd1).
if [ ! -f "${NUGET_PACKAGES:-$HOME/.nuget/packages}/pester/5.7.1/tools/Pester.psd1" ]; then
  dotnet restore "$repo/tests/pester/Pester.csproj" -nologo -v quiet >/dev/null
fi
# The LangSmith JS SDK releases the compatibility tests drive (tests/js/package.json, pinned by its lock file).
npm ci --prefix "$repo/tests/js" --no-audit --no-fund --loglevel=error >/dev/null

runc --version | head -1
[ -z "${pwsh_found:-}" ] || echo "pwsh $("$pwsh_found" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()') at $pwsh_found"
