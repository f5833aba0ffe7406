#!/usr/bin/env bash
# A multi-node Docker Swarm on this one machine: one dockerd per network namespace, all joined into
# one swarm over veth addresses on a private bridge. Nothing leaves the machine.
#
#   netns-swarm.sh up NAME N [IMAGES_TAR]   create nodes NAME1..NAMEN (replaces an existing NAME)
#   netns-swarm.sh down NAME                remove everything of cluster NAME (idempotent)
#   netns-swarm.sh kill-node NAME I         SIGKILL node I's engine and everything it ran
#   netns-swarm.sh start-node NAME I        start node I's engine again (it rejoins the swarm)
#   netns-swarm.sh status NAME              print the node lines again
#
# `up` prints one line per node, `node <name> <ip> <docker host> <manager|worker>`, and writes the
# same as JSON to /run/inet-swarm-netns/NAME/cluster.json. The root namespace (tests, the CLI) gets an
# address on the cluster's bridge too, so ports published with `mode: host` on any node are reachable
# at http://<node ip>:<port>. Each cluster gets its own 10.201.<slot>.0/24 (node i is .i, the root
# namespace .254), so several clusters coexist.
#
# Why it is built this way (measured on our machines, see /work/shared/ENVIRONMENT.md):
# - The kernel has no IPVS, so the routing mesh does not work: services need `endpoint_mode: dnsrr`
#   and ports published with `mode: host`.
# - dockerd must see its own namespace's network devices in /sys/class/net and still the host's
#   cgroup hierarchy, and must not share /run/docker, /run/containerd or /etc/docker (engine id,
#   netns files, containerd sockets) with the host's engine. `ip netns exec` remounts /sys without the
#   cgroup mounts, so we enter the namespace with nsenter and build the mount namespace ourselves.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

RUN_BASE=/run/inet-swarm-netns
DATA_BASE=/var/lib/inet-swarm-netns
POOL=10.88.0.0/16 # overlay networks inside the swarm

log() { echo "netns-swarm: $*" >&2; }
die() {
  log "$*"
  exit 1
}

usage() {
  sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

check_name() {
  # Node names become namespace names and, with "isw-", interface names (at most 15 characters).
  [[ "$1" =~ ^[a-z][a-z0-9]{0,7}$ ]] || die "cluster name must match [a-z][a-z0-9]{0,7}: '$1'"
}

# Per-cluster paths and names.
set_cluster() {
  NAME="$1"
  RUN_DIR="$RUN_BASE/$NAME"
  DATA_DIR="$DATA_BASE/$NAME"
  BR_NS="isw-$NAME" # the namespace that holds the bridge
  HOST_IF="isw-$NAME" # the root namespace's veth into the bridge
}

node_name() { echo "$NAME$1"; }
node_sock() { echo "$RUN_DIR/$(node_name "$1")/docker.sock"; }
node_docker() {
  local i="$1"
  shift
  docker -H "unix://$(node_sock "$i")" "$@"
}

subnet_prefix() { echo "10.201.$(cat "$RUN_DIR/slot")"; }

# ---- slots: one /24 per cluster ------------------------------------------------------------------

# Takes the lowest slot no other cluster holds and no route of the root namespace overlaps.
allocate_slot() {
  mkdir -p "$RUN_BASE"
  exec 8>"$RUN_BASE/.lock"
  flock 8
  local slot used
  used="$(cat "$RUN_BASE"/*/slot 2>/dev/null || true)"
  for slot in $(seq 1 250); do
    grep -qx "$slot" <<<"$used" && continue
    ip -4 route show | grep -q "^10\.201\.$slot\." && continue
    mkdir -p "$RUN_DIR"
    echo "$slot" >"$RUN_DIR/slot"
    # Closed, not just unlocked: the engines started later must not inherit the descriptor.
    exec 8>&-
    return
  done
  die "no free 10.201.x.0/24 slot"
}

# ---- one node's engine ---------------------------------------------------------------------------

# Every process belonging to node i: the engine, containerd and its shims (all in the node's network
# namespace) and the containers' processes (in the node's cgroup, --cgroup-parent; containers have
# their own network namespaces).
node_pids() {
  local node
  node="$(node_name "$1")"
  {
    [[ -e "/run/netns/$node" ]] && ip netns pids "$node" 2>/dev/null
    [[ -d "/sys/fs/cgroup/pids/$node" ]] && find "/sys/fs/cgroup/pids/$node" -name cgroup.procs -exec cat {} + 2>/dev/null
    local pidfile="$RUN_DIR/$node/docker.pid"
    [[ -s "$pidfile" ]] && cat "$pidfile"
  } | sort -un | while read -r pid; do
    # A pidfile can outlive its process, and pids are reused: only report live ones. Zombies count
    # as dead (they hold no namespaces any more); our init reaps orphans only every few seconds.
    [[ -n "$pid" ]] || continue
    state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z ]] && echo "$pid"
  done
  return 0
}

# SIGKILL until nothing of node i runs any more (containers may fork while we kill).
kill_node_processes() {
  local i="$1" pids
  for _ in $(seq 1 50); do
    pids="$(node_pids "$i")"
    [[ -z "$pids" ]] && break
    # shellcheck disable=SC2086 # one pid per word
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  [[ -z "$(node_pids "$i")" ]] || log "warning: processes of $(node_name "$i") survived SIGKILL: $(node_pids "$i" | tr '\n' ' ')"
  # Empty cgroups the containers left behind, deepest first.
  local node
  node="$(node_name "$i")"
  find /sys/fs/cgroup/*/"$node" -depth -type d -exec rmdir {} + 2>/dev/null || true
  rm -f "$RUN_DIR/$node/docker.pid" "$RUN_DIR/$node/docker.sock"
  # A restarted dockerd adopts the containerd of this pid file if the pid is still there, and a killed
  # containerd stays there as a zombie until our init reaps it: the engine would wait for it forever.
  rm -f "$RUN_DIR/$node/exec/containerd/containerd.pid"
}

# Starts a dockerd in network namespace $1 with host name $2, state under $3 (run) and $4 (data),
# containers in cgroup $5.
launch_dockerd() {
  local netns="$1" host="$2" dir="$3" data="$4" cgroup="$5"
  mkdir -p "$dir/exec" "$dir/cgroup" "$data" /run/docker /run/containerd /etc/docker
  # Inside the node's network namespace and a private mount namespace (so that nothing mounted here,
  # container root filesystems included, appears in the host's):
  # - a fresh sysfs shows this namespace's network devices, which dockerd's bridge driver reads; the
  #   cgroup hierarchy mounted under /sys is moved over to it, or runc could not place containers;
  # - private /run/docker, /run/containerd and /etc/docker keep the host's engine's state apart;
  # - its own UTS namespace, so each swarm node has its own host name.
  # setsid: the engine must outlive this script and the test process that ran it.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid nsenter --net="/run/netns/$netns" unshare -m -u --propagation private \
    bash -c '
      set -euo pipefail
      host="$1" dir="$2" data="$3" cgroup="$4"
      hostname "$host"
      mount --rbind /sys/fs/cgroup "$dir/cgroup"
      mount -t sysfs sysfs /sys
      mount --move "$dir/cgroup" /sys/fs/cgroup
      for d in /run/docker /run/containerd /etc/docker; do mount -t tmpfs tmpfs "$d"; done
      exec dockerd --data-root "$data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid" \
        -H "unix://$dir/docker.sock" --cgroup-parent "$cgroup"
    ' netns-swarm-dockerd "$host" "$dir" "$data" "$cgroup" >"$dir/dockerd.log" 2>&1 </dev/null 7>&- 8>&- &
  # Not a job of this shell: no "Killed" notices when it dies, and `wait` never waits for it.
  disown
}

start_engine() {
  local node
  node="$(node_name "$1")"
  launch_dockerd "$node" "$node" "$RUN_DIR/$node" "$DATA_DIR/$node" "/$node"
}

# Waits until the dockerd at socket $1 answers (log file $2 for the error message).
wait_socket() {
  local sock="$1" logfile="$2"
  for _ in $(seq 1 120); do
    docker -H "unix://$sock" info >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  log "the dockerd at $sock did not answer within 30 s; last lines of its log:"
  tail -n 20 "$logfile" >&2 || true
  return 1
}

wait_engine() {
  local node
  node="$(node_name "$1")"
  wait_socket "$(node_sock "$1")" "$RUN_DIR/$node/dockerd.log"
}

# ---- images: loaded once, hard-linked into every node --------------------------------------------
# `docker load` of our ~800 MB archive into three engines costs ~20 s of disk writes, and again for
# every cluster. Instead the archive is loaded into one template data root, from which each node gets
# the image layers as hard links (overlayfs never writes to lower layers; a node deleting an image
# only unlinks its own names) and its own copy of the small image metadata. When the archive
# changes, it is loaded into the same template again, where `docker load` skips the layers it already
# has (after a dist/ change, all but two small ones), and images no longer tagged are dropped.

TEMPLATE_NS=isw-template
TEMPLATE="$DATA_BASE/.template"

# Kills whatever a template update left running.
clean_template_engine() {
  if [[ -e "/run/netns/$TEMPLATE_NS" ]]; then
    local pids
    pids="$(ip netns pids "$TEMPLATE_NS" 2>/dev/null || true)"
    # shellcheck disable=SC2086 # one pid per word
    [[ -z "$pids" ]] || kill -9 $pids 2>/dev/null || true
    ip netns delete "$TEMPLATE_NS"
  fi
  rm -rf "$RUN_BASE/.template"
}

update_template() {
  local tar="$1" dir="$RUN_BASE/.template" pid
  clean_template_engine
  # Until this returns, the template may be half-updated: the EXIT trap of `up` deletes it then.
  TEMPLATE_UPDATING=1
  rm -f "$TEMPLATE.key"
  ip netns add "$TEMPLATE_NS"
  ip -n "$TEMPLATE_NS" link set lo up
  launch_dockerd "$TEMPLATE_NS" "$TEMPLATE_NS" "$dir" "$TEMPLATE" /isw-template
  wait_socket "$dir/docker.sock" "$dir/dockerd.log"
  docker -H "unix://$dir/docker.sock" load -q -i "$tar" >"$dir/load.log" 2>&1 ||
    die "docker load -i $tar failed: $(cat "$dir/load.log")"
  docker -H "unix://$dir/docker.sock" image prune -f >/dev/null
  # A clean shutdown, so that everything the engine knows about the images is on disk.
  pid="$(cat "$dir/docker.pid")"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    [[ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)" =~ ^(Z|)$ ]] && break
    sleep 0.25
  done
  clean_template_engine
  TEMPLATE_UPDATING=0
}

# Gives nodes 1..$2 the images of archive $1.
seed_images() {
  local tar="$1" n="$2" key i data
  mkdir -p "$DATA_BASE" "$RUN_BASE"
  # Same file, same size and time: same images (hashing 800 MB would cost seconds).
  key="$(stat -L -c '%d %i %s %Y' "$tar" | sha256sum | cut -c1-16)"
  # Concurrent `up`s share the template: update and copy under one lock.
  exec 7>"$DATA_BASE/.template.lock"
  flock 7
  if [[ ! -d "$TEMPLATE" || "$(cat "$TEMPLATE.key" 2>/dev/null)" != "$key" ]]; then
    log "loading $tar into the template engine"
    update_template "$tar"
    echo "$key" >"$TEMPLATE.key"
  fi
  for i in $(seq 1 "$n"); do
    data="$DATA_DIR/$(node_name "$i")"
    mkdir -p "$data"
    cp -al "$TEMPLATE/overlay2" "$data/overlay2"
    cp -a "$TEMPLATE/image" "$data/image"
  done
  exec 7>&-
}

# ---- cluster description -------------------------------------------------------------------------

print_nodes() {
  local n i prefix role
  n="$(cat "$RUN_DIR/nodes")"
  prefix="$(subnet_prefix)"
  for i in $(seq 1 "$n"); do
    role=worker
    ((i == 1)) && role=manager
    echo "node $(node_name "$i") $prefix.$i unix://$(node_sock "$i") $role"
  done
}

write_cluster_json() {
  local prefix n i role sep=""
  prefix="$(subnet_prefix)"
  n="$(cat "$RUN_DIR/nodes")"
  {
    printf '{\n  "name": "%s",\n  "subnet": "%s.0/24",\n  "hostIp": "%s.254",\n  "nodes": [' \
      "$NAME" "$prefix" "$prefix"
    for i in $(seq 1 "$n"); do
      role=worker
      ((i == 1)) && role=manager
      printf '%s\n    { "name": "%s", "ip": "%s.%s", "dockerHost": "unix://%s", "role": "%s" }' \
        "$sep" "$(node_name "$i")" "$prefix" "$i" "$(node_sock "$i")" "$role"
      sep=","
    done
    printf '\n  ]\n}\n'
  } >"$RUN_DIR/cluster.json.tmp"
  mv "$RUN_DIR/cluster.json.tmp" "$RUN_DIR/cluster.json"
}

# ---- commands ------------------------------------------------------------------------------------

cmd_down() {
  local n i node
  # Node namespaces of a partial `up` exist even when the node count was never written.
  n="$(cat "$RUN_DIR/nodes" 2>/dev/null || echo 0)"
  local found
  found="$(find /run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sed -n "s/^$NAME\([0-9][0-9]*\)$/\1/p" | sort -n | tail -n 1)"
  ((${found:-0} > n)) && n="$found"
  for i in $(seq 1 "$n"); do
    [[ -d "$RUN_DIR" || -e "/run/netns/$(node_name "$i")" ]] || continue
    kill_node_processes "$i"
  done
  # Container mounts lived in the nodes' private mount namespaces, which died with their processes;
  # anything still mounted under our directories was mounted from outside and is detached here.
  local m
  awk -v a="$RUN_DIR/" -v b="$DATA_DIR/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  for i in $(seq 1 "$n"); do
    node="$(node_name "$i")"
    [[ -e "/run/netns/$node" ]] && ip netns delete "$node"
  done
  # Deleting the bridge's namespace deletes every veth end in it, and with them their peers.
  [[ -e "/run/netns/$BR_NS" ]] && ip netns delete "$BR_NS"
  ip link show "$HOST_IF" >/dev/null 2>&1 && ip link delete "$HOST_IF"
  rm -rf "$DATA_DIR" "$RUN_DIR"
  return 0
}

# Whatever fails during `up` (errexit or die), nothing half-built stays behind.
on_up_exit() {
  ((UP_DONE)) && return
  log "up failed; removing cluster $NAME"
  if ((TEMPLATE_UPDATING)); then
    clean_template_engine
    rm -rf "$TEMPLATE" "$TEMPLATE.key"
  fi
  cmd_down
}

cmd_up() {
  local n="$1" tar="${2:-}" i node prefix
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "node count must be 1..99: '$n'"
  [[ -z "$tar" || -f "$tar" ]] || die "no such image archive: $tar"
  command -v dockerd >/dev/null || die "dockerd is missing: run scripts/ensure-docker.sh"
  if [[ -d "$RUN_DIR" || -e "/run/netns/${BR_NS}" ]]; then
    log "cluster $NAME exists; removing it first"
    cmd_down
  fi
  local started=$SECONDS
  UP_DONE=0
  TEMPLATE_UPDATING=0
  trap 'on_up_exit' EXIT
  allocate_slot
  echo "$n" >"$RUN_DIR/nodes"
  prefix="$(subnet_prefix)"

  # The bridge lives in its own namespace, so the root namespace sees only its one veth.
  ip netns add "$BR_NS"
  ip -n "$BR_NS" link set lo up
  ip -n "$BR_NS" link add br0 type bridge
  ip -n "$BR_NS" link set br0 up
  for i in $(seq 1 "$n"); do
    node="$(node_name "$i")"
    ip netns add "$node"
    ip -n "$node" link set lo up
    # Created in the bridge's namespace with its peer born in the node's: no name clashes in root.
    ip -n "$BR_NS" link add "n$i" type veth peer name eth0 netns "$node"
    ip -n "$BR_NS" link set "n$i" master br0 up
    ip -n "$node" addr add "$prefix.$i/24" dev eth0
    ip -n "$node" link set eth0 up
  done
  ip link add "$HOST_IF" type veth peer name host netns "$BR_NS"
  ip -n "$BR_NS" link set host master br0 up
  ip addr add "$prefix.254/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up

  if [[ -n "$tar" ]]; then
    seed_images "$tar" "$n"
    log "images in place after $((SECONDS - started)) s"
  fi
  for i in $(seq 1 "$n"); do start_engine "$i"; done
  for i in $(seq 1 "$n"); do wait_engine "$i"; done
  log "$n engines up after $((SECONDS - started)) s"

  node_docker 1 swarm init --advertise-addr "$prefix.1" --default-addr-pool "$POOL" >/dev/null
  local token pids=() pid
  token="$(node_docker 1 swarm join-token -q worker)"
  for i in $(seq 2 "$n"); do
    node_docker "$i" swarm join --token "$token" --advertise-addr "$prefix.$i" "$prefix.1:2377" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "a node could not join the swarm"; done
  # Joined means the manager lists every node as ready.
  local ready=0
  for _ in $(seq 1 120); do
    ready="$(node_docker 1 node ls --format '{{.Status}}' | grep -c '^Ready$' || true)"
    ((ready == n)) && break
    sleep 0.25
  done
  ((ready == n)) || die "only $ready of $n nodes became ready"
  # shellcheck disable=SC2034 # read by the EXIT trap
  UP_DONE=1

  write_cluster_json
  log "cluster $NAME up in $((SECONDS - started)) s"
  print_nodes
}

cmd_kill_node() {
  local i="$1"
  [[ -d "$RUN_DIR/$(node_name "$i")" ]] || die "no node $(node_name "$i")"
  # A failed machine takes its containers with it; the namespace and its address stay, so the node
  # can be started again.
  kill_node_processes "$i"
}

cmd_start_node() {
  local i="$1"
  [[ -d "$RUN_DIR/$(node_name "$i")" ]] || die "no node $(node_name "$i")"
  node_docker "$i" info >/dev/null 2>&1 && return 0
  kill_node_processes "$i"
  start_engine "$i"
  wait_engine "$i"
}

cmd="${1:-}"
case "$cmd" in
  up)
    (($# >= 3 && $# <= 4)) || usage
    check_name "$2"
    set_cluster "$2"
    cmd_up "$3" "${4:-}"
    ;;
  down)
    (($# == 2)) || usage
    check_name "$2"
    set_cluster "$2"
    cmd_down
    ;;
  kill-node | start-node)
    (($# == 3)) || usage
    check_name "$2"
    set_cluster "$2"
    [[ "$3" =~ ^[1-9][0-9]?$ ]] || die "node index must be 1..99: '$3'"
    "cmd_${cmd//-/_}" "$3"
    ;;
  status)
    (($# == 2)) || usage
    check_name "$2"
    set_cluster "$2"
    [[ -f "$RUN_DIR/cluster.json" ]] || die "no cluster $NAME"
    print_nodes
    ;;
  *) usage ;;
esac
