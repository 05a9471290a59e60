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
# Ready first (database reachable, migrations applied), as a load balancer would wait; then health,
# with the ADMIN key the first start wrote to the data dir (as the README's examples do).
key_file="$data/.mlplane/admin-key"
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && [ -s "$key_file" ] &&
     curl -fsS -X POST -H 'content-type: application/json' -H "Authorization: Bearer $(cat "$key_file")" --data '{"query":"{ health { status database } }"}' "http://127.0.0.1:$port/graphql" >"$data/health.json" 2>/dev/null &&
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
grep -q "$(cat "$key_file")" "$log" || { echo "the first start did not print its ADMIN key"; exit 1; }
[ "$(stat -c %a "$key_file")" = 600 ] || { echo "$key_file is not mode 0600"; exit 1; }
unauthenticated=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' --data '{"query":"{ health { status } }"}' "http://127.0.0.1:$port/graphql")
[ "$unauthenticated" = 401 ] || { echo "a request without a key answered $unauthenticated, not 401"; exit 1; }
# Stop it as an operator would: SIGTERM to npm itself. npm forwards it to its script, which execs
# node (package.json), so mlplane, its worker and its PostgreSQL all stop.
server=$(pgrep -f "^node dist/src/main.js start" | head -1)
[ -n "$server" ] || { echo "no mlplane start process found"; exit 1; }
kill -TERM "$pid"
for _ in $(seq 1 15); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
if kill -0 "$server" 2>/dev/null; then echo "mlplane did not stop within 15 s of SIGTERM to npm"; cat "$log"; exit 1; fi
if pgrep -f "dist/src/main.js worker" >/dev/null; then echo "the supervised worker outlived mlplane start"; exit 1; fi
if [ -e "$data/.mlplane/postgres/postmaster.pid" ]; then echo "the embedded PostgreSQL outlived mlplane start"; exit 1; fi
wait $pid || true
echo "smoke test passed: started on embedded PostgreSQL, answered health, served the dashboard, stopped on SIGTERM"
rm -rf "$data" "$log"
