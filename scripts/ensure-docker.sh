#!/usr/bin/env bash
# Makes a Docker engine answer on the default socket, idempotently.
#
# Our machines have no systemd, so nothing starts dockerd for us: we install docker.io (and the tools
# scripts/build-images.sh and scripts/netns-swarm.sh need) from the Debian mirror when missing, and
# start the daemon detached from this shell when `docker info` fails. Safe to run many times, also
# concurrently with a dockerd that is already starting.
set -euo pipefail

missing=()
command -v dockerd >/dev/null || [[ -x /usr/sbin/dockerd ]] || missing+=(docker.io)
command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] || missing+=(debootstrap)
command -v ip >/dev/null || [[ -x /usr/sbin/ip ]] || missing+=(iproute2)
# nsenter and unshare (util-linux) start one dockerd per network namespace in netns-swarm.sh.
{ command -v nsenter >/dev/null && command -v unshare >/dev/null; } || missing+=(util-linux)
if ((${#missing[@]} > 0)); then
  echo "ensure-docker: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"

if docker info >/dev/null 2>&1; then
  exit 0
fi

# A dockerd may already be starting (another test run, or a previous call that timed out): start a
# second one only when no process owns the default pidfile, or it would fail on the lock anyway.
running=""
if [[ -s /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  running="$(cat /var/run/docker.pid)"
fi
if [[ -z "$running" ]]; then
  echo "ensure-docker: starting dockerd (log: /var/log/dockerd.log)" >&2
  # setsid + closed stdin: the daemon must outlive this shell and the test process that ran it.
  setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &
fi

for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "ensure-docker: dockerd did not answer within 60 s; last lines of /var/log/dockerd.log:" >&2
tail -n 20 /var/log/dockerd.log >&2 || true
exit 1
