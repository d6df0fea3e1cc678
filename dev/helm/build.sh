#!/usr/bin/env bash
# Builds helm from the Go module proxy into a cache outside the repo, once per version.
# The binary is keyed by the hash of the tools module (go.mod + go.sum), so changing the version rebuilds.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
# Used by test/integration/helm-chart.test.ts (`helm lint`, `helm template` on deploy/helm/netbox-ippool-sync).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
# shellcheck source=../go-tool.sh
source "$here/../go-tool.sh"

version="$(awk '/^\thelm.sh\/helm\/v[0-9]+ v/{print $2} /^require helm.sh\/helm\/v[0-9]+ v/{print $3}' "$tools/go.mod" | head -n1)"
[ -n "$version" ] || { echo "helm/build.sh: cannot read the helm version from $tools/go.mod" >&2; exit 1; }

key="$(go_tool_key "$tools"/go.{mod,sum})"
out="$cache_root/helm/helm-${version}_${key}"

go_tool_cached helm "$out" && exit 0
go_tool_prepare helm "$out"
echo "helm: building helm $version (about 3-5 minutes cold on 2 cores, more on a busy machine) ..." >&2
# helm prints its version from these variables; without them `helm version` says v4-unknown.
pkg=helm.sh/helm/${version%%.*}/internal/version
(cd "$tools" && go build -trimpath -ldflags "-s -w -X $pkg.version=$version -X $pkg.gitTreeState=clean" \
  -o "$out.tmp/helm" "helm.sh/helm/${version%%.*}/cmd/helm")
"$out.tmp/helm" version >&2
go_tool_done helm "$out" "helm=$version"
