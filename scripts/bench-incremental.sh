#!/usr/bin/env bash
# The incremental economy on an R10k-sized simulated org (10 000 users, 500 groups, 100 apps,
# 2 000 devices, 50 000 System Log events): a full sync, then 1 % of the org changed (profiles,
# deactivations and deletions of users, memberships added and removed, app users unassigned,
# factors reset, admin roles granted and revoked, devices changed and deleted, groups and an app
# deleted), then an incremental sync. Prints each job's calls, how it read, the tombstones it
# sent, and the incremental sync's API calls as a share of the full sync's (target: at most
# 10 %). A benchmark, not a test: the figure is printed, the run is a release build.
# Usage: scripts/bench-incremental.sh [USERS]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_USERS="${1:-10000}" cargo test --release --locked -q -p okta-airsync --test it \
  incremental::bench_incremental_calls -- --ignored --nocapture --test-threads=1 2>&1 |
  grep -E '^(changed|job|users|groups|roles|apps|policies|system_logs|devices|factors|authenticator_enrollments|BENCH)|test result|panicked|FAILED'
