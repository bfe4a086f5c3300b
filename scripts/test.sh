#!/usr/bin/env bash
# The whole test suite, on a fresh machine as on a developer's: installs what the tests
# need when it is missing (Debian packages), makes sure PostgreSQL is up, then runs every
# test on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

need=()
command -v ogrinfo >/dev/null || need+=(gdal-bin)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The PostgreSQL tests create (and drop) one database per test on this server.
export DIEMNONG_TEST_POSTGRES_URL="${DIEMNONG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi

cargo test --locked "$@"
