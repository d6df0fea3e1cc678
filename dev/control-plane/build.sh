#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into a cache outside the repo, once per version.
# The binaries are keyed by the hash of the two tools modules (go.mod + go.sum), so changing a version rebuilds.
# Prints the cache directory on the last line of stdout. Idempotent: a warm cache returns in milliseconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"

k8s_version="$(awk '/^require k8s.io\/kubernetes /{print $3} /^\tk8s.io\/kubernetes v/{print $2}' "$tools/kube-apiserver/go.mod" | head -n1)"
etcd_version="$(awk '/go.etcd.io\/etcd\/server\/v3 v/{print $2}' "$tools/etcd/go.mod" | head -n1)"
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || { echo "build.sh: cannot read versions from $tools" >&2; exit 1; }

key="$(cat "$tools"/kube-apiserver/go.{mod,sum} "$tools"/etcd/go.{mod,sum} | sha256sum | cut -c1-12)"
out="$cache_root/control-plane/k8s-${k8s_version}_etcd-${etcd_version}_${key}"

if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -f "$out/STAMP" ]; then
  echo "control plane: cached ($out)" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: the Go toolchain is required to build kube-apiserver and etcd" >&2; exit 1; }
# Several test runs on one machine may find the cache cold at once: one builds, the others wait for it (a shared
# "$out.tmp" let a second build delete the first one's etcd between its build and its --version check).
mkdir -p "$cache_root/control-plane"
exec 9>"$out.lock"
if ! flock -n 9; then
  echo "control plane: another build of $k8s_version is running; waiting for it" >&2
  flock 9
fi
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -f "$out/STAMP" ]; then
  echo "control plane: built meanwhile by another run ($out)" >&2
  echo "$out"
  exit 0
fi
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
minor="$(echo "$k8s_version" | cut -d. -f2)"
start=$(date +%s)

echo "control plane: building etcd $etcd_version ..." >&2
(cd "$tools/etcd" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3)
echo "control plane: etcd built in $(( $(date +%s) - start ))s; building kube-apiserver $k8s_version ..." >&2

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(cd "$tools/kube-apiserver" && go build -trimpath -tags selinux,notest -ldflags "$ldflags" \
  -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)

"$out.tmp/etcd" --version >&2
"$out.tmp/kube-apiserver" --version >&2
printf 'kubernetes=%s\netcd=%s\nbuilt=%s\nseconds=%s\n' "$k8s_version" "$etcd_version" "$(date -u +%FT%TZ)" \
  "$(( $(date +%s) - start ))" > "$out.tmp/STAMP"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "control plane: built in $(( $(date +%s) - start ))s ($out)" >&2
echo "$out"
