#!/usr/bin/env bash
# Installs what a real NetBox needs on this machine, idempotently; a warm machine returns in milliseconds.
#
#   install.sh system   Debian packages: postgresql (initdb, postgres), libpq-dev (pg_config, for psycopg's C
#                       extension) and gcc. Needs root and apt. No system service is started: a policy-rc.d that
#                       exits 101 is in place while apt runs, and the harness never uses Debian's default cluster.
#   install.sh venv     A venv with netbox==<netbox.version> from PyPI, in the cache folder keyed by that version,
#                       built with a Python >= 3.12 (pyenv's, or one on PATH). Prints the venv folder on the last
#                       line of stdout. A lock keeps two processes from building it at once.
#   install.sh          Both.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(tr -d '[:space:]' < "$here/netbox.version")"
cache_root="${NBSYNC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/netbox-ippool-sync}"
home="$cache_root/netbox-$version"
venv="$home/venv"
stamp="$venv/NBSYNC_STAMP"

say() { echo "netbox-real: $*" >&2; }

have_system() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && command -v pg_config >/dev/null && command -v gcc >/dev/null
}

system() {
  if have_system; then
    say "system packages present ($(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | sort -V | tail -n1 | sed 's/^/postgresql /'), $(pg_config --version), gcc)"
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "PostgreSQL server, libpq-dev and gcc are missing; as root run: apt-get install postgresql libpq-dev gcc"
    exit 1
  fi
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# netbox-ippool-sync: no service starts while packages install\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created=1
  fi
  # shellcheck disable=SC2064
  trap "[ -n '$created' ] && rm -f '$policy'" EXIT
  export DEBIAN_FRONTEND=noninteractive
  say "installing postgresql libpq-dev gcc with apt ..."
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql libpq-dev gcc >/dev/null
  [ -n "$created" ] && rm -f "$policy"
  trap - EXIT
  have_system || { say "apt-get finished but initdb, pg_config or gcc is still missing"; exit 1; }
  say "system packages installed"
}

# Prints the path of a Python >= 3.12: NBSYNC_PYTHON, then pyenv's newest 3.13/3.12, then python3.x on PATH.
find_python() {
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}" candidates=() c
  [ -n "${NBSYNC_PYTHON:-}" ] && candidates+=("$NBSYNC_PYTHON")
  while IFS= read -r c; do candidates+=("$c/bin/python3"); done < <(
    ls -d "$pyenv_root"/versions/3.1[2-9]* 2>/dev/null | grep -E '/3\.1[2-9]\.[0-9]+$' | sort -V -r || true)
  for c in python3.14 python3.13 python3.12 python3; do
    command -v "$c" >/dev/null && candidates+=("$(command -v "$c")")
  done
  for c in "${candidates[@]}"; do
    if [ -x "$c" ] && "$c" -c 'import sys, ssl, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

venv_ready() {
  [ -f "$stamp" ] && [ -x "$venv/bin/netbox" ] && [ -x "$venv/bin/gunicorn" ] && [ -x "$venv/bin/python" ] &&
    "$venv/bin/python" -c 'import sys' 2>/dev/null
}

venv() {
  if venv_ready; then
    say "venv cached ($venv)"
    echo "$venv"
    return 0
  fi
  mkdir -p "$home"
  exec 9>"$home/venv.lock"
  say "waiting for the venv lock ..."
  flock -x 9
  if venv_ready; then # built by another process while we waited
    echo "$venv"
    return 0
  fi
  have_system || { say "pg_config or gcc is missing (psycopg's C extension needs them): run $here/install.sh system"; exit 1; }
  local python
  python="$(find_python)" || {
    say "no Python >= 3.12 found (NetBox $version needs one): install one with pyenv (pyenv install 3.13) or your" \
      "distribution (python3.12 + python3.12-venv + python3.12-dev), or point NBSYNC_PYTHON at it"
    exit 1
  }
  local start=$SECONDS
  say "creating a venv with $python ($("$python" --version 2>&1)) and installing netbox==$version from PyPI ..."
  rm -rf "$venv"
  "$python" -m venv "$venv"
  if ! "$venv/bin/pip" install --no-input -q "netbox==$version" >&2; then
    rm -rf "$venv"
    say "pip install netbox==$version failed"
    exit 1
  fi
  [ "$("$venv/bin/netbox" version)" = "$version" ] || { say "netbox version is not $version"; rm -rf "$venv"; exit 1; }
  printf 'netbox=%s\npython=%s\nbuilt=%s\nseconds=%s\n' "$version" "$("$venv/bin/python" -c 'import platform; print(platform.python_version())')" \
    "$(date -u +%FT%TZ)" "$(( SECONDS - start ))" > "$stamp"
  say "venv ready in $(( SECONDS - start ))s ($venv)"
  echo "$venv"
}

case "${1:-all}" in
  system) system ;;
  venv) venv ;;
  all) system; venv ;;
  *) echo "usage: $0 [system|venv]" >&2; exit 2 ;;
esac
