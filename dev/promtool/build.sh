#!/usr/bin/env bash
# Builds promtool (Prometheus's rule tester) from the Go module proxy into a cache outside the repo, once per version.
# The binary is keyed by the hash of the tools module (go.mod + go.sum), so changing the version rebuilds.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
# Used by test/integration/alert-rules.test.ts (`promtool test rules deploy/alerts/tests/*.yaml`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
# shellcheck source=../go-tool.sh
source "$here/../go-tool.sh"

version="$(awk '/^\tgithub.com\/prometheus\/prometheus v/{print $2}' "$tools/go.mod" | head -n1)"
[ -n "$version" ] || { echo "promtool/build.sh: cannot read the prometheus version from $tools/go.mod" >&2; exit 1; }

key="$(go_tool_key "$tools"/go.{mod,sum})"
out="$cache_root/promtool/prometheus-${version}_${key}"

go_tool_cached promtool "$out" && exit 0
go_tool_prepare promtool "$out"
echo "promtool: building prometheus $version cmd/promtool ..." >&2
(cd "$tools" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/promtool" github.com/prometheus/prometheus/cmd/promtool)
"$out.tmp/promtool" --version >&2
go_tool_done promtool "$out" "prometheus=$version"
