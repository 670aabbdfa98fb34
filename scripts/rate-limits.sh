#!/usr/bin/env bash
# Full syncs of an R10k-sized simulated org (10 000 users, 300 groups, 20 apps, 2 000 devices,
# 10 000 System Log events) at Okta's Integrator Free ("developer") limits, with the API token
# at Okta's default 50 % share and at 30 %. Hours of paced calls pass on tokio's paused clock
# (the simulator's clock follows it); prints calls, simulated minutes, real seconds and the
# 429s per bucket. The same runs as the tests in tests/it/rate_limits.rs (which the debug test
# suite runs at this size too), in a release build, with their figures.
# Usage: scripts/rate-limits.sh [USERS]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp); trap 'rm -f "$OUT"' EXIT
status=0
RL_E2E_USERS="${1:-10000}" cargo test --release -q -p okta-airsync --test it rate_limits::a_developer_org -- --nocapture --test-threads=1 >"$OUT" 2>&1 || status=$?
grep -oE 'token share [0-9]+%.*|^test result.*|panicked.*' "$OUT" || true
[ "$status" = 0 ] || { echo "== failed (exit $status); the end of the output:"; tail -30 "$OUT"; exit "$status"; }
