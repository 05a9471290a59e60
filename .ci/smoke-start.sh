#!/usr/bin/env bash
# Starts mlplane as the README says (embedded PostgreSQL), queries health, stops it with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
port=4417
log=$(mktemp)
data=$(mktemp -d)
chmod 755 "$data"
env -u DATABASE_URL PORT=$port MLPLANE_DATA_DIR="$data/.mlplane" npm start >"$log" 2>&1 &
pid=$!
ok=
# Ready first (database reachable, migrations applied), as a load balancer would wait; then health.
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 &&
     curl -fsS -X POST -H 'content-type: application/json' --data '{"query":"{ health { status database } }"}' "http://127.0.0.1:$port/graphql" >"$data/health.json" 2>/dev/null &&
     grep -q '"status":"OK"' "$data/health.json"; then ok=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 1
done
if [ -z "$ok" ]; then echo "mlplane did not answer health OK"; cat "$data/health.json" 2>/dev/null; cat "$log"; exit 1; fi
cat "$data/health.json"; echo
grep -q '"status":"OK"' "$data/health.json"
# The dashboard that npm ci built is served at /, with its bundled assets (nothing from elsewhere).
curl -fsS "http://127.0.0.1:$port/" >"$data/index.html"
grep -q '<div id="root">' "$data/index.html" || { echo "GET / did not serve the dashboard"; cat "$data/index.html"; exit 1; }
asset=$(grep -o '/assets/index-[^"]*\.js' "$data/index.html" | head -1)
curl -fsS "http://127.0.0.1:$port$asset" >/dev/null || { echo "dashboard asset $asset not served"; exit 1; }
grep -q 'embedded PostgreSQL' "$log" || { echo "start did not say it uses an embedded PostgreSQL"; cat "$log"; exit 1; }
# npm start runs `sh -c "tsc -p tsconfig.build.json && node dist/src/main.js start"`: signal the node process
# itself (matching the sh line too would stop only the shell and leave mlplane running).
server=$(pgrep -f "^node dist/src/main.js start" | head -1)
[ -n "$server" ] || { echo "no mlplane start process found"; exit 1; }
kill -TERM "$server"
for _ in $(seq 1 10); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
if kill -0 "$server" 2>/dev/null; then echo "mlplane did not stop within 10 s of SIGTERM"; cat "$log"; exit 1; fi
if pgrep -f "dist/src/main.js worker" >/dev/null; then echo "the supervised worker outlived mlplane start"; exit 1; fi
wait $pid || true
echo "smoke test passed: started on embedded PostgreSQL, answered health, served the dashboard, stopped on SIGTERM"
rm -rf "$data" "$log"
