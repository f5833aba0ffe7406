#!/bin/bash
# Mirrors the official redis image's docker-entrypoint.sh for the test stand-in image.
set -euo pipefail

# Options alone (`--appendonly yes`) or a config file mean "redis-server with these".
if [[ "${1:-}" == -* || "${1:-}" == *.conf ]]; then
  set -- redis-server "$@"
fi

if [[ "${1:-}" == redis-server ]]; then
  shift
  # Informational options must come first and alone.
  case "${1:-}" in -v | --version | -h | --help | --test-memory) exec /usr/bin/redis-server "$@" ;; esac
  args=()
  # A config file must stay the first argument.
  if [[ "${1:-}" != "" && "${1:-}" != -* ]]; then
    args+=("$1")
    shift
  fi
  # The official image is built with protected mode off (it would refuse every client on the overlay
  # when no password is set); later arguments on the command line still win.
  args+=(--protected-mode no "$@")
  if [[ "$(id -u)" == 0 ]]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups /usr/bin/redis-server "${args[@]}"
  fi
  exec /usr/bin/redis-server "${args[@]}"
fi
exec "$@"
