#!/usr/bin/env bash
# Builds helm from the Go module proxy into a cache outside the repo, once per version.
# The binary is keyed by the hash of the tools module (go.mod + go.sum), so changing the version rebuilds.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
# Used by test/integration/helm-chart.test.ts (`helm lint`, `helm template` on deploy/helm/netbox-ippool-sync).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"

version="$(awk '/^\thelm.sh\/helm\/v[0-9]+ v/{print $2} /^require helm.sh\/helm\/v[0-9]+ v/{print $3}' "$tools/go.mod" | head -n1)"
[ -n "$version" ] || { echo "helm/build.sh: cannot read the helm version from $tools/go.mod" >&2; exit 1; }

key="$(cat "$tools"/go.{mod,sum} | sha256sum | cut -c1-12)"
out="$cache_root/helm/helm-${version}_${key}"

if [ -x "$out/helm" ] && [ -f "$out/STAMP" ]; then
  echo "helm: cached ($out)" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "helm/build.sh: the Go toolchain is required to build helm" >&2; exit 1; }
mkdir -p "$out.tmp"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
start=$(date +%s)
echo "helm: building helm $version (about 3-5 minutes cold on 2 cores, more on a busy machine) ..." >&2
# helm prints its version from these variables; without them `helm version` says v4-unknown.
pkg=helm.sh/helm/${version%%.*}/internal/version
(cd "$tools" && go build -trimpath -ldflags "-s -w -X $pkg.version=$version -X $pkg.gitTreeState=clean" \
  -o "$out.tmp/helm" "helm.sh/helm/${version%%.*}/cmd/helm")
"$out.tmp/helm" version >&2
printf 'helm=%s\nbuilt=%s\nseconds=%s\n' "$version" "$(date -u +%FT%TZ)" "$(( $(date +%s) - start ))" \
  > "$out.tmp/STAMP"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "helm: built in $(( $(date +%s) - start ))s ($out)" >&2
echo "$out"
