#!/usr/bin/env bash
# Every test: `dotnet test Sandbox.slnx` (xunit; integration tests start the real server against real sandboxes),
# then the Pester suite in real pwsh against the module staged in out/Sandbox (tests/pester/Run.ps1), then the
# LangSmith JS SDK compatibility tests in node (tests/js) against the server `dotnet test` built.
# Ends with ONE plain line, "N passed, N failed", over the xunit trx counters and Pester's counts.
# Run scripts/install-deps.sh first (pwsh, Pester 5.7.1, the server's packages).
# For a quicker local run: arguments go to `dotnet test` (e.g. --filter ...), and SANDBOX_PESTER_PATH (files or
# folders, space-separated) narrows the Pester run. CI passes neither.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:$HOME/.dotnet/tools"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

dotnet test Sandbox.slnx --logger trx --results-directory "$results" --logger "console;verbosity=normal" "$@"
rc=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
  f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

# Pester: its last line is "pester-result: passed=N failed=N skipped=N notrun=N".
if [ -f out/Sandbox/Sandbox.psd1 ] && command -v pwsh >/dev/null; then
  pester_path=${SANDBOX_PESTER_PATH:-tests/pester}
  pwsh -NoProfile -NonInteractive -File tests/pester/Run.ps1 -ResultPath "$results/pester.xml" -Path "${pester_path// /,}" 2>&1 | tee "$results/pester.log"
  prc=${PIPESTATUS[0]}
  line=$(grep -a '^pester-result: ' "$results/pester.log" | tail -1)
  if [ -z "$line" ]; then
    echo "tests/pester/Run.ps1 printed no result line (exit code $prc)"
    failed=$((failed + 1))
  else
    p=$(echo "$line" | grep -o 'passed=[0-9]*' | grep -o '[0-9]*')
    f=$(echo "$line" | grep -o 'failed=[0-9]*' | grep -o '[0-9]*')
    passed=$((passed + p))
    failed=$((failed + f))
  fi
  [ "$prc" -eq 0 ] || rc=1
else
  echo "Pester suite not run: $( [ -f out/Sandbox/Sandbox.psd1 ] || echo 'out/Sandbox is not staged; ')$(command -v pwsh >/dev/null || echo 'no pwsh (run scripts/install-deps.sh)')"
  failed=$((failed + 1))
  rc=1
fi

# The real LangSmith JS SDK against the local server (tests/js; node's test runner, TAP: "# pass N" / "# fail N").
if [ -d tests/js/node_modules ] && command -v node >/dev/null; then
  (cd tests/js && node --test --test-reporter=tap) >"$results/js.tap" 2>&1
  jrc=$?
  grep -a -E '^(not ok|# (tests|pass|fail))' "$results/js.tap"
  # A failure's diagnostics (error, expected/actual, stack) follow its "not ok" line as an indented YAML block.
  awk '/^ *not ok/ {show=1} show {print} show && /^ *\.\.\.$/ {show=0}' "$results/js.tap"
  p=$(grep -a -o '^# pass [0-9]*' "$results/js.tap" | grep -o '[0-9]*$')
  f=$(grep -a -o '^# fail [0-9]*' "$results/js.tap" | grep -o '[0-9]*$')
  if [ -z "$p" ]; then
    tail -30 "$results/js.tap"
    echo "tests/js printed no counts (exit code $jrc)"
    failed=$((failed + 1))
  else
    passed=$((passed + p))
    failed=$((failed + ${f:-0}))
  fi
  [ "$jrc" -eq 0 ] || rc=1
else
  echo "JS SDK tests not run: $( [ -d tests/js/node_modules ] || echo 'tests/js/node_modules missing (npm ci --prefix tests/js); ')$(command -v node >/dev/null || echo 'no node')"
  failed=$((failed + 1))
  rc=1
fi

echo "$passed passed, $failed failed"
exit $rc
