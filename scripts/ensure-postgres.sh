#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries are installed (the tests and the local stack run real
# clusters). As root on Debian it installs them with apt; otherwise it explains what is missing.
meridian_ensure_postgres() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1)
  if [[ -n "$found" && -x "$(dirname "$found")/pg_basebackup" ]]; then
    return 0
  fi
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "PostgreSQL server binaries not found; installing them from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    # Debian starts a default cluster on 5432; Meridian runs its own clusters and needs none.
    service postgresql stop >/dev/null 2>&1 || true
    return 0
  fi
  echo "PostgreSQL server binaries (postgres, pg_ctl, pg_basebackup) are missing under /usr/lib/postgresql/*/bin;" \
       "install Debian's 'postgresql' package (or set PG_BIN)." >&2
  return 1
}
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  meridian_ensure_postgres
fi
