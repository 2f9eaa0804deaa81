#!/usr/bin/env bash
# The main job on a fresh machine: install, build, start the local server, then run the QuickStart example
# (examples/QuickStart, over the shared .NET core Sandbox.Client): create a python sandbox, run
# `python --version` in it, delete it. Finally stop the server.
#   SANDBOX_DATA_DIR (default /var/lib/sandbox) and SANDBOX_PORT (default 8765) change where the server lives.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${SANDBOX_DATA_DIR:-/var/lib/sandbox}
port=${SANDBOX_PORT:-8765}
endpoint=http://127.0.0.1:$port
log=${TMPDIR:-/tmp}/sandbox-server-$port.log

echo "== installing dependencies"
./scripts/install-deps.sh >/dev/null
echo "== building the server and the QuickStart example (Release)"
dotnet build src/Sandbox.Server -c Release -v quiet -nologo >/dev/null
dotnet build examples/QuickStart -c Release -v quiet -nologo >/dev/null

echo "== starting the local server at $endpoint (data in $data_dir, log in $log)"
dotnet src/Sandbox.Server/bin/Release/net10.0/Sandbox.Server.dll --listen 127.0.0.1:$port --data-dir "$data_dir" >"$log" 2>&1 &
server=$!
stop_server() {
  kill "$server" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$server" 2>/dev/null || true
}
trap stop_server EXIT
server_failed() {
  echo "$1: $(grep -m1 -oE '[A-Za-z.]*Exception: .*' "$log" || tail -1 "$log")"
  grep -q 'address already in use' "$log" && echo "port $port is taken; set SANDBOX_PORT to use another"
  echo "full log: $log"
  exit 1
}
# Bounded wait for the server's "listening on" line (60 s); stop early if it exits.
for _ in $(seq 600); do
  grep -q '^listening on ' "$log" && break
  kill -0 "$server" 2>/dev/null || server_failed "the server exited"
  sleep 0.1
done
grep -q '^listening on ' "$log" || server_failed "the server did not start within 60 s"

echo "== running examples/QuickStart"
status=0
dotnet examples/QuickStart/bin/Release/net10.0/QuickStart.dll --endpoint "$endpoint" --api-key-file "$data_dir/api-key" || status=$?

echo "== stopping the server"
stop_server
trap - EXIT
if [ "$status" -eq 0 ]; then echo "== done"; else echo "== QuickStart failed (exit code $status)"; fi
exit "$status"
