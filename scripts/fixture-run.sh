#!/usr/bin/env bash
# Runs the recorded event fixtures against a local Okta simulator and DevRev emulator, and
# prints what the emulator received. Usage: scripts/fixture-run.sh [path/to/okta-airsync]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/okta-airsync}
[ -x "$BIN" ] || cargo build --quiet
SIM_PORT=${SIM_PORT:-18001}
DEVREV_PORT=${DEVREV_PORT:-18002}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" sim --listen 127.0.0.1:$SIM_PORT --users 50 --groups 10 --apps 5 --devices 10 --log-events 200 >"$WORK/sim.log" 2>&1 &
"$BIN" devrev --listen 127.0.0.1:$DEVREV_PORT --out "$WORK/devrev" >"$WORK/devrev.out" 2>"$WORK/devrev.log" &
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$SIM_PORT/__sim/stats" >/dev/null 2>&1 && curl -s "http://127.0.0.1:$DEVREV_PORT/__emu/events" >/dev/null 2>&1 && break
  sleep 0.1
done

for phase in external_sync_units metadata data_start attachments_start; do
  sed "s#http://devrev.placeholder#http://127.0.0.1:$DEVREV_PORT#g" "fixtures/events/$phase.json" >"$WORK/$phase.json"
  echo "== $phase"
  "$BIN" run --event "$WORK/$phase.json" --okta-base-url "http://127.0.0.1:$SIM_PORT" 2>>"$WORK/worker.log"
done
echo "== replies the emulator received"
curl -s "http://127.0.0.1:$DEVREV_PORT/__emu/events" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in d["received"]:
    print(r["incoming"] or "?", "->", r["event_type"], "artifacts:", len(r["body"]["event_data"].get("artifacts", [])))
print("artifacts per item type:", d["artifacts"])
print("violations:", d["violations"] or "none")'
