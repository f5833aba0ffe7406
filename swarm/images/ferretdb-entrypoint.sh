#!/bin/bash
# Starts FerretDB the way the official mongo image starts mongod, for the test stand-in image.
#
# With MONGO_INITDB_ROOT_USERNAME and a password (MONGO_INITDB_ROOT_PASSWORD or, as with Docker
# secrets, MONGO_INITDB_ROOT_PASSWORD_FILE), authentication is enforced: FerretDB's new (SCRAM)
# authentication is switched on and, on first start, the user is created in the `admin` database
# (clients use authSource=admin, as with mongod's root user). Without them, anyone may connect, as
# with mongod. mongod's own arguments (`mongod --bind_ip_all ...`) are accepted and ignored.
set -euo pipefail

if [[ "${1:-}" == mongod || "${1:-}" == -* ]]; then
  [[ "${1:-}" == mongod ]] && shift
  if (($# > 0)); then echo "ferretdb-entrypoint: ignoring mongod arguments: $*" >&2; fi

  user="${MONGO_INITDB_ROOT_USERNAME:-}"
  if [[ -n "${MONGO_INITDB_ROOT_PASSWORD_FILE:-}" ]]; then
    password="$(<"$MONGO_INITDB_ROOT_PASSWORD_FILE")"
  else
    password="${MONGO_INITDB_ROOT_PASSWORD:-}"
  fi
  # Like the official image: both or neither.
  if [[ -n "$user" && -z "$password" ]] || [[ -z "$user" && -n "$password" ]]; then
    echo "ferretdb-entrypoint: set both MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD(_FILE), or neither" >&2
    exit 1
  fi

  mkdir -p /data/db/sqlite /data/db/state
  args=(
    --handler=sqlite
    --sqlite-url=file:/data/db/sqlite/
    --state-dir=/data/db/state
    --listen-addr=0.0.0.0:27017
    # No debug HTTP listener: nothing should scrape it, and it would be one more open port.
    --debug-addr=-
    --telemetry=disable
    --log-level="${FERRETDB_LOG_LEVEL:-info}"
  )
  if [[ -n "$user" ]]; then
    args+=(--test-enable-new-auth --setup-database=admin --setup-username="$user")
    # Through the environment, not argv, so the password does not show in `ps`.
    export FERRETDB_SETUP_PASSWORD="$password"
  fi
  unset MONGO_INITDB_ROOT_PASSWORD
  exec /usr/local/bin/ferretdb "${args[@]}"
fi
exec "$@"
