#!/usr/bin/env bash
# The mirror rounds test (tests/it/mirror.rs) over more seeds than CI runs: each seed is a
# 2 000-user org, a full sync and four rounds of ordinary changes with an incremental sync
# after each (log-driven, reconciliation due, System Log denied, 1 100 factor resets), with
# the simulator logging and not logging per-edge events for a deactivation's side effects.
# Usage: scripts/mirror.sh [seeds, comma-separated; default 61,62,63]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-61,62,63}"
start=$(date +%s)
MIRROR_SEEDS="$seeds" cargo test --release --locked --test it mirror:: -- --nocapture
echo "mirror rounds, seeds $seeds: $(( $(date +%s) - start )) s"
