#!/usr/bin/env bash
# Benchmarks that print figures (not timed tests: these machines are noisy).
#   1. `okta-airsync demo` at default sizes, three times: wall time.
#   2. A full sync of a 100 000-user simulated org with the worker as its own process
#      (`okta-airsync run` per invocation, as the snap-in runs it), the simulator and the
#      emulator as two more: wall time, API calls against the minimum, the worker's peak RSS,
#      and whether every item type's distinct ids equal the simulator's ground truth.
#   3. `okta-airsync demo --users 100000`: wall time and report correctness.
#   4. `okta-airsync demo` at R10k (10 000 users, 500 groups, 100 apps, 2 000 devices, 50 000
#      log events) with the buckets lifted (`--rate-limit-per-min 1000000`), no other flag.
# Every run lifts the simulator's buckets; no ceiling across buckets is stated (Okta has none).
# Usage: scripts/bench.sh [--quick]   (--quick: 20 000 users instead of 100 000)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
BIN=target/release/okta-airsync
USERS=100000
[ "${1:-}" = "--quick" ] && USERS=20000
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== 1. demo at default sizes"
for i in 1 2 3; do
  s=$(date +%s.%N); "$BIN" demo --no-live --out "$WORK/demo$i" >/dev/null; e=$(date +%s.%N)
  printf '  run %d: %.2f s\n' "$i" "$(echo "$e - $s" | bc)"
done

echo "== 2. full sync of a ${USERS}-user org, worker as its own process"
# The buckets lifted: the figures are the connector's own.
SIZE=(--users "$USERS" --groups 300 --apps 20 --devices $((USERS / 5)) --log-events 50000 --rate-limit-per-min 100000000)
"$BIN" sim --listen 127.0.0.1:18101 "${SIZE[@]}" >"$WORK/sim.out" 2>&1 &
"$BIN" devrev --listen 127.0.0.1:18102 --out "$WORK/dr" >/dev/null 2>"$WORK/devrev.log" &
until curl -sf http://127.0.0.1:18101/__sim/stats >/dev/null && curl -sf http://127.0.0.1:18102/__emu/events >/dev/null; do sleep 0.2; done
start=$(date +%s.%N)
invoke() {
  local phase=$1 n=$2
  sed "s#http://devrev.placeholder#http://127.0.0.1:18102#g; s#00000000-0000-4000-8000-0000000000[0-9][0-9]#bench-$phase-$n-${RUN:-aa}#g; s#0000000000aa#0000000000${RUN:-aa}#g; s#\"mode\": \"INITIAL\"#\"mode\": \"${MODE:-INITIAL}\"#g" "fixtures/events/$phase.json" >"$WORK/ev.json"
  /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" run --event "$WORK/ev.json" --okta-base-url http://127.0.0.1:18101 >"$WORK/out" 2>>"$WORK/worker.log"
  tail -1 "$WORK/rss" >>"$WORK/rss.all"
  sed -n 's/.*"reply_sent":"\([A-Z_]*\)".*/\1/p' "$WORK/out"
}
# The metadata phase, then data phases until the worker stops asking to continue; sets $reply.
sync_phases() {
  invoke metadata 0 >/dev/null
  reply=$(invoke data_start 0); local n=0
  while [ "$reply" = DATA_EXTRACTION_PROGRESS ] || [ "$reply" = DATA_EXTRACTION_DELAYED ]; do
    n=$((n + 1)); reply=$(invoke data_continue "$n")
  done
}
sync_phases
end=$(date +%s.%N)
invocations=$(wc -l <"$WORK/rss.all"); peak=$(sort -n "$WORK/rss.all" | tail -1)
echo "  outcome: $reply after $invocations invocations (metadata included)"
printf '  wall time (metadata + data phases): %.1f s\n' "$(echo "$end - $start" | bc)"
echo "  worker peak RSS: $((peak / 1024)) MB"
curl -s http://127.0.0.1:18101/__sim/stats >"$WORK/stats.json"
# The metadata fixture asks for an unbounded window: the log window is Okta's whole retention.
curl -s "http://127.0.0.1:18101/__sim/truth?system_log_start_date=2000-01-01" >"$WORK/truth.json"
python3 - "$WORK" <<'PY'
import glob, json, os, sys
w = sys.argv[1]
stats = json.load(open(f"{w}/stats.json")); truth = json.load(open(f"{w}/truth.json"))
calls, minimum = stats["total_calls"], truth["min_api_calls"]
print(f"  API calls: {calls} (minimum {minimum}, ratio {calls / minimum:.3f}), 429s: {stats['rate_limited']}")
ids = {}
for f in glob.glob(f"{w}/dr/artifacts/*.jsonl"):
    t = os.path.basename(f).split(".", 1)[1].rsplit(".", 1)[0]
    ids.setdefault(t, set()).update(json.loads(l)["id"] for l in open(f) if l.strip() and t not in ("external_domain_metadata", "external_sync_units") and not t.startswith("airsync_"))
ok = True
# The item types the connector sends; the truth's other record types (user types, authorization
# servers and their rules, role targets) travel inside them, and the authorization servers'
# policies travel as policies.
rts = truth["record_types"]
item_types = [t for t in rts if t not in ("user_types", "authorization_servers", "authorization_server_policies",
                                          "authorization_server_policy_rules", "role_targets")]
for t in sorted(item_types):
    got = ids.get(t, set()); want = set(rts[t]["ids"])
    if t == "policies":
        want |= set(rts["authorization_server_policies"]["ids"])
    good = got == want; ok &= good
    print(f"    {t:<24} {len(got):>8} records  {'= ground truth' if good else f'MISMATCH (want {len(want)})'}")
print("  every item type equals the ground truth" if ok else "  MISMATCHES")
PY
# The state after a sync, and the index of what was sent (in the state while small, else the
# worker's own artifacts): DevRev's guidance is a state under 500 000 characters.
state_figures() {
  curl -s "http://127.0.0.1:18102/__emu/state?sync_unit=su1" >"$WORK/state.json"
python3 - "$WORK" <<'PY'
import json, sys
state = json.load(open(f"{sys.argv[1]}/state.json"))
print(f"  state: {len(json.dumps(state, separators=(',', ':')))} characters (guidance: under 500 000)")
index = state.get("airsync_index", {})
for name, key in (("index base", "base"), ("index tombstones", "gone")):
    p = index.get(key)
    if not p:
        print(f"  {name}: none")
    elif p["in"] == "state":
        print(f"  {name}: in the state, {p['lines']} lines, {len(p['gz'])} characters")
    else:
        print(f"  {name}: the worker's own artifact, {p['lines']} lines, {p['bytes'] / 1e6:.1f} MB gzipped")
print(f"  index journal parts left: {len(index.get('journal', []))}")
PY
}
state_figures

echo "== 2b. an incremental sync after 1 % of that org changed"
# The first sync ends (its attachments phase commits its start as the last successful one);
# then 1 % of the org changes and a new sync run reads what changed.
invoke attachments_start 0 >/dev/null
curl -sf -X POST http://127.0.0.1:18101/__sim/mutate -H 'content-type: application/json' \
  -d "{\"users\": $((USERS / 100)), \"groups\": 30, \"deactivate\": $((USERS / 500)), \"delete_users\": $((USERS / 2000)), \"remove_members\": $((USERS / 300)), \"unassign_app_users\": $((USERS / 300)), \"reset_factors\": $((USERS / 100)), \"grant_roles\": 20, \"revoke_roles\": 20, \"logs\": 0}" >/dev/null
: >"$WORK/rss.all"
start=$(date +%s.%N)
export RUN=bb MODE=INCREMENTAL
sync_phases
end=$(date +%s.%N)
unset RUN MODE
peak=$(sort -n "$WORK/rss.all" | tail -1)
echo "  outcome: $reply after $(wc -l <"$WORK/rss.all") invocations (metadata included)"
[ "$reply" = DATA_EXTRACTION_DONE ] || sed -n 's/.*"message":"\([^"]*\)".*/  error: \1/p' "$WORK/out" | head -3
printf '  wall time: %.1f s\n' "$(echo "$end - $start" | bc)"
echo "  worker peak RSS: $((peak / 1024)) MB"
state_figures
kill %1 %2 2>/dev/null || true

echo "== 3. demo --users $USERS"
s=$(date +%s.%N)
"$BIN" demo --no-live --out "$WORK/bigdemo" "${SIZE[@]}" >"$WORK/bigdemo.out" 2>&1 || true
e=$(date +%s.%N)
printf '  wall time: %.1f s\n' "$(echo "$e - $s" | bc)"
python3 - "$WORK/bigdemo/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for run in r["runs"]:
    bad = [t for t, e in run["entities"].items() if run["mode"] == "INITIAL" and e["records"] != e["expected"]]
    print(f"  {run['mode']}: {run['outcome']}, {run['invocations']} invocations, {run['wall_ms'] / 1000:.1f} s, "
          f"API calls {run['api_calls']} (minimum {run['min_api_calls']}), records == expected: {'yes' if not bad else bad}")
print(f"  violations: {len(r['violations'])}" + ''.join(f"\n    {v[:300]}" for v in r['violations'][:3]))
PY

echo "== 4. demo at R10k, buckets lifted"
s=$(date +%s.%N)
"$BIN" demo --no-live --out "$WORK/r10k" --users 10000 --groups 500 --apps 100 --devices 2000 --log-events 50000 --rate-limit-per-min 1000000 >/dev/null 2>&1
e=$(date +%s.%N)
printf '  wall time: %.1f s\n' "$(echo "$e - $s" | bc)"
python3 - "$WORK/r10k/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for run in r["runs"]:
    print(f"  {run['mode']}: {run['outcome']}, {run['api_calls']} calls, {run['rate_limited']} x 429, {run['wall_ms'] / 1000:.1f} s")
print(f"  violations: {len(r['violations'])}" + ''.join(f"\n    {v[:300]}" for v in r['violations'][:3]))
PY
