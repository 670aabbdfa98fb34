#!/usr/bin/env bash
# Pacing against Okta's rate-limit floor, on tokio's paused clock (hours of paced calls pass in
# minutes; the simulator's clock follows): full syncs of an R10k-sized org and, unless --quick,
# an R100k-sized one at the simulator's Workforce table.
#   1. Token share 50 % (Okta's default, which the connector is told): simulated time against
#      the floor (for each bucket, the fewest calls a complete sync needs there ÷ the bucket's
#      limit × the token's share; the floor is the slowest bucket), 429s per bucket.
#   2. Token share 30 %, the connector told 50 %, ten-minute invocations: 429s per bucket over
#      the whole sync; then a second full sync a simulated day later.
# Benchmarks, not tests: the figures are printed; a release build.
# Usage: scripts/bench-pace.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=(10000 100000)
[ "${1:-}" = "--quick" ] && SIZES=(10000)
OUT=$(mktemp); trap 'rm -f "$OUT"' EXIT
for users in "${SIZES[@]}"; do
  echo "== ${users} users"
  status=0
  BENCH_USERS="$users" cargo test --release --locked -q -p okta-airsync --test it rate_limits::bench_ -- --ignored --nocapture --test-threads=1 >"$OUT" 2>&1 || status=$?
  grep -oE 'BENCH.*|^test result.*|panicked.*' "$OUT" || true
  [ "$status" = 0 ] || { echo "== failed (exit $status); the end of the output:"; tail -30 "$OUT"; exit "$status"; }
done
