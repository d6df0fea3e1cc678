#!/usr/bin/env bash
# Builds compose-check (main.go: compose-spec/compose-go's loader, the one Docker Compose uses) from the Go module
# proxy into a cache outside the repo, once per version. Keyed by the hash of go.mod, go.sum and main.go.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
# Used by test/integration/compose-file.test.ts to validate docker-compose.yml without a Docker engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../go-tool.sh
source "$here/../go-tool.sh"

version="$(awk '/^require github.com\/compose-spec\/compose-go\/v2 v/{print $3} /^\tgithub.com\/compose-spec\/compose-go\/v2 v/{print $2}' "$here/go.mod" | head -n1)"
[ -n "$version" ] || { echo "compose-check/build.sh: cannot read the compose-go version from $here/go.mod" >&2; exit 1; }

key="$(go_tool_key "$here"/go.mod "$here"/go.sum "$here"/main.go)"
out="$cache_root/compose-check/compose-go-${version}_${key}"

go_tool_cached compose-check "$out" && exit 0
go_tool_prepare compose-check "$out"
echo "compose-check: building with compose-go $version (about 30 seconds cold) ..." >&2
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/compose-check" .)
go_tool_done compose-check "$out" "compose-go=$version"
