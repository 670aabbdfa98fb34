#!/usr/bin/env bash
# A third-party Okta client (Okta's own Python SDK, from PyPI) lists users from
# `okta-airsync sim` over TLS and must get the simulator's ground truth.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${OKTA_AIRSYNC_BIN:-target/debug/okta-airsync}
[ -x "$BIN" ] || cargo build --locked --quiet
python3 -c 'import okta, sys; sys.exit(okta.__version__ != "2.9.13")' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check "okta==2.9.13"
command -v openssl >/dev/null || { apt-get update -qq && apt-get install -y -qq openssl; }
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
PORT=${SIM_TLS_PORT:-18443}
"$BIN" sim --listen 127.0.0.1:$PORT --public-url "https://localhost:$PORT" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --users 437 --groups 10 --apps 3 --devices 5 --log-events 10 --no-placeholders >"$WORK/sim.log" 2>&1 &
for _ in $(seq 100); do curl -sf --cacert "$WORK/cert.pem" "https://localhost:$PORT/__sim/stats" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf --cacert "$WORK/cert.pem" "https://localhost:$PORT/__sim/truth" >"$WORK/truth.json"
SSL_CERT_FILE="$WORK/cert.pem" python3 scripts/okta_sdk_list_users.py "https://localhost:$PORT" sim-token >"$WORK/sdk.json"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
truth = set(json.load(open(f"{w}/truth.json"))["record_types"]["users"]["ids"])
sdk = json.load(open(f"{w}/sdk.json"))
# The plain list also returns placeholder ("shadow") users, which the truth leaves out.
got = set(sdk["users"]) & truth
extra = set(sdk["users"]) - truth
print(f"Okta's Python SDK over TLS listed {len(sdk['users'])} users ({sdk['plain']} plain, {sdk['deprovisioned']} deprovisioned); ground truth {len(truth)}; placeholders {len(extra)}")
missing = truth - got
assert not missing, f"the SDK did not see {len(missing)} users"
print("third-party-client: 1 passed, 0 failed")
PY
