# Sourced by the dev/*/build.sh scripts that build a Go program from the Go module proxy into a cache outside the
# repo, once per version: the cache folder, the warm-cache answer, the build environment and the STAMP file.
# Each script prints the cache directory on the last line of stdout; a warm cache returns in milliseconds.

cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"

# go_tool_key FILE... — 12 hex characters of the sha256 of the files that decide what is built.
go_tool_key() {
  cat "$@" | sha256sum | cut -c1-12
}

# go_tool_cached NAME OUT — prints OUT and succeeds when OUT already holds a built NAME.
go_tool_cached() {
  if [ -x "$2/$1" ] && [ -f "$2/STAMP" ]; then
    echo "$1: cached ($2)" >&2
    echo "$2"
    return 0
  fi
  return 1
}

# go_tool_prepare NAME OUT — checks for Go, takes the build lock (a second builder waits, then finds the cache
# warm and exits), makes a fresh OUT.tmp and sets a reproducible build environment.
go_tool_prepare() {
  command -v go >/dev/null || { echo "$1/build.sh: the Go toolchain is required to build $1" >&2; exit 1; }
  mkdir -p "$(dirname "$2")"
  exec 9>"$(dirname "$2")/.build.lock"
  flock -x 9
  go_tool_cached "$1" "$2" && exit 0
  rm -rf "$2.tmp"
  mkdir -p "$2.tmp"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
  go_tool_start=$(date +%s)
}

# go_tool_done NAME OUT LABEL=VERSION — writes STAMP, moves OUT.tmp into place and prints OUT.
go_tool_done() {
  local seconds=$(( $(date +%s) - go_tool_start ))
  printf '%s\nbuilt=%s\nseconds=%s\n' "$3" "$(date -u +%FT%TZ)" "$seconds" > "$2.tmp/STAMP"
  rm -rf "$2" && mv "$2.tmp" "$2"
  echo "$1: built in ${seconds}s ($2)" >&2
  echo "$2"
}
