#!/usr/bin/env bash
# Builds compose-check (main.go: compose-spec/compose-go's loader, the one Docker Compose uses) from the Go module
# proxy into a cache outside the repo, once per version. Keyed by the hash of go.mod, go.sum and main.go.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
# Used by test/integration/compose-file.test.ts to validate docker-compose.yml without a Docker engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"

version="$(awk '/^require github.com\/compose-spec\/compose-go\/v2 v/{print $3} /^\tgithub.com\/compose-spec\/compose-go\/v2 v/{print $2}' "$here/go.mod" | head -n1)"
[ -n "$version" ] || { echo "compose-check/build.sh: cannot read the compose-go version from $here/go.mod" >&2; exit 1; }

key="$(cat "$here"/go.mod "$here"/go.sum "$here"/main.go | sha256sum | cut -c1-12)"
out="$cache_root/compose-check/compose-go-${version}_${key}"

if [ -x "$out/compose-check" ] && [ -f "$out/STAMP" ]; then
  echo "compose-check: cached ($out)" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "compose-check/build.sh: the Go toolchain is required to build compose-check" >&2; exit 1; }
mkdir -p "$out.tmp"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
start=$(date +%s)
echo "compose-check: building with compose-go $version (about 30 seconds cold) ..." >&2
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/compose-check" .)
printf 'compose-go=%s\nbuilt=%s\nseconds=%s\n' "$version" "$(date -u +%FT%TZ)" "$(( $(date +%s) - start ))" \
  > "$out.tmp/STAMP"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "compose-check: built in $(( $(date +%s) - start ))s ($out)" >&2
echo "$out"
