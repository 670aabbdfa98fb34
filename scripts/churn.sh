#!/usr/bin/env bash
# A full sync of an R10k-sized simulated org (10 000 users, 400 groups, 100 apps, 1 000 devices,
# 5 000 System Log events) while the org churns: about 1 % of the parents deleted (aimed at what
# the latest list pages served, so they vanish between a parent's list call and its child
# calls), users and devices deactivated, memberships and assignments removed. The same run as
# tests/it/churn.rs (which the debug test suite runs too), in a release build; prints the
# parents deleted, the sync's invocations and calls, the parents counted gone mid-run, and the
# real time.
# Usage: scripts/churn.sh [USERS]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp); trap 'rm -f "$OUT"' EXIT
status=0
CHURN_E2E_USERS="${1:-10000}" cargo test --release -q -p okta-airsync --test it churn::churn_during -- --nocapture --test-threads=1 >"$OUT" 2>&1 || status=$?
grep -E '^churn:|^parents gone|^test result|panicked' "$OUT" || true
[ "$status" = 0 ] || { echo "== failed (exit $status); the end of the output:"; tail -30 "$OUT"; exit "$status"; }
