#!/usr/bin/env bash
# Installs what the local sandbox server and its tests need on a fresh Debian 12 machine (run as root).
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)                          # the OCI runtime every sandbox runs under
[ -f /usr/share/containers/seccomp.json ] || need+=(golang-github-containers-common)  # the seccomp profile sandboxes start from
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)                # each sandbox's writable filesystem, volumes
[ -e /usr/bin/python ] || need+=(python-is-python3)   # `python --version` inside host-image sandboxes
command -v cc >/dev/null || need+=(gcc libc6-dev)     # builds sandbox-init
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)         # network policies (rules inside sandbox namespaces, NAT)
command -v curl >/dev/null || need+=(curl)
command -v node >/dev/null || need+=(nodejs)          # tools/ps-syntax: PowerShell syntax check without pwsh
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# web-tree-sitter + tree-sitter-powershell, pinned by tools/ps-syntax/package-lock.json.
ps_syntax="$(dirname "$0")/../tools/ps-syntax"
if [ ! -d "$ps_syntax/node_modules" ]; then
  npm ci --prefix "$ps_syntax" --ignore-scripts --no-audit --no-fund >/dev/null
fi
runc --version | head -1
