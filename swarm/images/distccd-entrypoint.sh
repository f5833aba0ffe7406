#!/bin/bash
# Starts distccd in the foreground, accepting jobs only from the stack's overlay network.
#
# distccd executes whatever compiler command a client sends, so it must never accept the world. Unless
# DISTCC_ALLOW names the allowed networks (space-separated CIDRs), we allow the subnets of this
# container's own interfaces except the one carrying the default route: in a swarm task that one is
# docker_gwbridge (the host's side), the others are the overlays the service is attached to. A
# container with a single interface (plain `docker run` on a bridge) allows that interface's subnet.
# Extra arguments are passed to distccd.
set -euo pipefail

allow=()
if [[ -n "${DISTCC_ALLOW:-}" ]]; then
  read -r -a allow <<<"$DISTCC_ALLOW"
else
  default_dev="$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}')"
  all=()
  others=()
  # Connected routes: "<cidr> dev <if> proto kernel scope link src <ip>".
  while read -r cidr _ dev _; do
    all+=("$cidr")
    if ! grep -qxF "$dev" <<<"$default_dev"; then others+=("$cidr"); fi
  done < <(ip -4 route show scope link proto kernel)
  if ((${#others[@]} > 0)); then allow=("${others[@]}"); else allow=("${all[@]}"); fi
fi
if ((${#allow[@]} == 0)); then
  echo "distccd-entrypoint: no network to allow (set DISTCC_ALLOW)" >&2
  exit 1
fi

args=(--daemon --no-detach --log-stderr --log-level "${DISTCC_LOG_LEVEL:-warning}")
for net in "${allow[@]}"; do args+=(--allow "$net"); done
echo "distccd-entrypoint: allowing ${allow[*]}" >&2
exec distccd "${args[@]}" "$@"
