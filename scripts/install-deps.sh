#!/usr/bin/env bash
# Installs what the local sandbox server and its tests need on a fresh Debian 12 machine (run as root).
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -e /usr/bin/python ] || need+=(python-is-python3)   # `python --version` inside host-image sandboxes
command -v cc >/dev/null || need+=(gcc libc6-dev)     # builds sandbox-init
command -v ip >/dev/null || need+=(iproute2)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
bwrap --version
