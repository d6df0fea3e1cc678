#!/usr/bin/env bash
# Builds promtool (Prometheus's rule tester) from the Go module proxy into a cache outside the repo, once per version.
# The binary is keyed by the hash of the tools module (go.mod + go.sum), so changing the version rebuilds.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
# Used by test/integration/alert-rules.test.ts (`promtool test rules deploy/alerts/tests/*.yaml`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"

version="$(awk '/^\tgithub.com\/prometheus\/prometheus v/{print $2}' "$tools/go.mod" | head -n1)"
[ -n "$version" ] || { echo "promtool/build.sh: cannot read the prometheus version from $tools/go.mod" >&2; exit 1; }

key="$(cat "$tools"/go.{mod,sum} | sha256sum | cut -c1-12)"
out="$cache_root/promtool/prometheus-${version}_${key}"

if [ -x "$out/promtool" ] && [ -f "$out/STAMP" ]; then
  echo "promtool: cached ($out)" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "promtool/build.sh: the Go toolchain is required to build promtool" >&2; exit 1; }
mkdir -p "$out.tmp"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
start=$(date +%s)
echo "promtool: building prometheus $version cmd/promtool ..." >&2
(cd "$tools" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/promtool" github.com/prometheus/prometheus/cmd/promtool)
"$out.tmp/promtool" --version >&2
printf 'prometheus=%s\nbuilt=%s\nseconds=%s\n' "$version" "$(date -u +%FT%TZ)" "$(( $(date +%s) - start ))" \
  > "$out.tmp/STAMP"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "promtool: built in $(( $(date +%s) - start ))s ($out)" >&2
echo "$out"
