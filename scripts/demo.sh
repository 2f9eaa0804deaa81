#!/usr/bin/env bash
# The main job on a fresh machine: install, build, start the local server, run `python --version`
# in a python sandbox through the server's API, then clean up.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh >/dev/null
dotnet build src/Sandbox.Server -c Release -v quiet -nologo >/dev/null
data_dir=${SANDBOX_DATA_DIR:-/var/lib/sandbox}
port=${SANDBOX_PORT:-8765}
dotnet src/Sandbox.Server/bin/Release/net10.0/Sandbox.Server.dll --listen 127.0.0.1:$port --data-dir "$data_dir" >/tmp/sandbox-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
key=$(cat "$data_dir/api-key")
api=http://127.0.0.1:$port/v2/sandboxes
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

name=demo-$RANDOM
echo "+ create sandbox $name from template python"
dataplane=$(curl -sf -X POST "$api/boxes" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
  -d "{\"template_name\":\"python\",\"name\":\"$name\"}" | json '["dataplane_url"]')
echo "+ python --version"
curl -sf -X POST "$dataplane/execute" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
  -d '{"command":"python --version"}' | json '["stdout"]'
echo "+ delete sandbox $name"
curl -sf -X DELETE "$api/boxes/$name" -H "X-Api-Key: $key"
