#!/usr/bin/env bash
# Builds the snap-in archive DevRev's CLI takes (`devrev snap_in_version create-one --archive`):
# a tarball of package.json, package-lock.json, .npmrc and dist/ (the shim plus binaries).
#
# Usage: scripts/package-snap-in.sh BINARY:ARCH [BINARY:ARCH ...]
#   ARCH is Node's process.arch for the runtime that binary serves: x64 or arm64.
#   With no argument, packages the host's release build for the host's architecture.
# Output: dist/build.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
  cargo build --release --locked --quiet
  arch=$(node -p process.arch 2>/dev/null || { [ "$(uname -m)" = aarch64 ] && echo arm64 || echo x64; })
  pairs=("target/release/okta-airsync:$arch")
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dist/bin"
cp snap-in/package.json snap-in/package-lock.json snap-in/.npmrc "$stage/"
cp snap-in/src/index.js "$stage/dist/index.js"
for pair in "${pairs[@]}"; do
  bin=${pair%:*}
  arch=${pair##*:}
  case "$arch" in x64|arm64) ;; *) echo "unknown architecture '$arch' (use x64 or arm64)" >&2; exit 2 ;; esac
  [ -f "$bin" ] || { echo "no binary at $bin" >&2; exit 2; }
  install -m 0755 "$bin" "$stage/dist/bin/okta-airsync-$arch"
done
mkdir -p dist
tar -czf dist/build.tar.gz -C "$stage" package.json package-lock.json .npmrc dist
echo "dist/build.tar.gz:"
tar -tzvf dist/build.tar.gz
