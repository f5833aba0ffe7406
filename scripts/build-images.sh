#!/usr/bin/env bash
# Builds the swarm backend's container images with the host's dockerd, idempotently and incrementally,
# and saves them into .tools/images/inet-swarm-images.tar for loading into other engines
# (scripts/netns-swarm.sh loads it into every node).
#
#   debian:bookworm-slim     debootstrap'ed from the machine's Debian mirror (no registry is reachable)
#   inet-swarm/worker:dev    swarm/images/worker.Dockerfile: Node 24, production node_modules, dist/
#   inet-swarm/builder:dev   swarm/images/builder.Dockerfile: worker + g++/make/distcc/ccache
#   inet-swarm/redis:test    stand-in for the official redis image (tests only)
#   inet-swarm/mongo:test    FerretDB standing in for the official mongo image (tests only)
#
# Needs dist/ (`npm run build`). Environment: OMNETPP_VERSION (worker with a real OMNeT++, needs
# internet), INET_SWARM_STAGE_DIR (build contexts; default under /var/tmp, outside the repository so
# linters never see the copied dist/ and node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="$root/.tools/images"
stage="${INET_SWARM_STAGE_DIR:-/var/tmp/inet-swarm-build/$(printf %s "$root" | sha256sum | cut -c1-12)}"
images_tar="$out/inet-swarm-images.tar"
# docker CLI 28 defaults to BuildKit, whose client (buildx) is not installed; the classic builder is.
export DOCKER_BUILDKIT=0
omnetpp_version="${OMNETPP_VERSION:-}"

log() { echo "build-images: $*" >&2; }

bash scripts/ensure-docker.sh
bash scripts/ensure-node24.sh
[[ -x .tools/ferretdb-v1.24.0/ferretdb ]] || bash scripts/build-ferretdb.sh
[[ -d dist ]] || { log "dist/ is missing: run 'npm run build' first"; exit 1; }
[[ -f dist/swarm/services/main.js ]] || log "warning: dist/swarm/services/main.js does not exist yet (the images' entrypoint)"

mkdir -p "$out" "$stage"
# Test runs and engineers may build at the same time; one build at a time keeps the tags consistent.
exec 9>"$out/.build.lock"
flock 9

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# docker build with its chatter in a log file, shown only on failure.
build() {
  local tag="$1"
  shift
  local logfile
  logfile="$out/build-$(tr '/:' '__' <<<"$tag").log"
  local before
  before="$(image_id "$tag")"
  if ! docker build -t "$tag" "$@" >"$logfile" 2>&1; then
    log "building $tag failed; last lines of $logfile:"
    tail -n 30 "$logfile" >&2
    exit 1
  fi
  local after
  after="$(image_id "$tag")"
  if [[ "$before" == "$after" ]]; then
    log "$tag unchanged"
  else
    log "$tag built (${after:7:12})"
    # The previous build is now untagged; drop it (and its unshared layers) unless something uses it.
    [[ -z "$before" ]] || docker rmi "$before" >/dev/null 2>&1 || true
  fi
}

# ---- debian:bookworm-slim ------------------------------------------------------------------------

# Prints "URI SUITE COMPONENTS..." for every enabled deb source of this machine's apt, from
# one-line (.list) and deb822 (.sources) files alike. Files with other suffixes are disabled ones.
apt_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    awk '$1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }   # skip [ options ]
      line = $i; for (j = i + 1; j <= NF && $j !~ /^#/; j++) line = line " " $j
      print line
    }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk '
      function flush(   n, m, a, b, u, s) {
        if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no") {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) print u[a], s[b], comps
        }
        types = uris = suites = comps = enabled = ""
      }
      function value() { sub(/^[^:]*:[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); return $0 }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      tolower($1) == "types:" { types = value(); next }
      tolower($1) == "uris:" { uris = value(); next }
      tolower($1) == "suites:" { suites = value(); next }
      tolower($1) == "components:" { comps = value(); next }
      tolower($1) == "enabled:" { enabled = value(); next }
      END { flush() }' "$f"
  done
}

build_base_image() {
  if [[ -n "$(image_id debian:bookworm-slim)" ]]; then
    log "debian:bookworm-slim exists"
    return
  fi
  local sources mirror
  # Only Debian's bookworm suites belong in the image (not the host's third-party repositories).
  sources="$(apt_sources | awk '$2 ~ /^bookworm(-updates|-security|-backports|\/updates)?$/' | sort -u)"
  mirror="$(awk '$2 == "bookworm" { print $1; exit }' <<<"$sources")"
  [[ -n "$mirror" ]] || { log "no Debian bookworm mirror in /etc/apt/sources.list{,.d/*}"; exit 1; }
  log "debootstrapping debian:bookworm-slim from $mirror"

  local rootfs
  rootfs="$(mktemp -d /var/tmp/inet-swarm-rootfs.XXXXXX)"
  # debootstrap mounts /proc and /sys inside the target while it runs; unmount before deleting.
  trap 'umount -R "'"$rootfs"'/proc" "'"$rootfs"'/sys" 2>/dev/null || true; rm -rf "'"$rootfs"'"' EXIT
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$out/debootstrap.log" 2>&1; then
    log "debootstrap failed; last lines of $out/debootstrap.log:"
    tail -n 30 "$out/debootstrap.log" >&2
    exit 1
  fi
  umount -R "$rootfs/proc" "$rootfs/sys" 2>/dev/null || true

  # The mirror's suites, so that `apt-get install` in Dockerfiles reaches the same mirror.
  awk '{ printf "deb %s\n", $0 }' <<<"$sources" >"$rootfs/etc/apt/sources.list"
  # A snapshot mirror's Release files are past their Valid-Until; carry the host's verdict on that.
  apt-config dump | grep -E '^Acquire::Check-(Valid-Until|Date) ' >"$rootfs/etc/apt/apt.conf.d/90mirror" || rm -f "$rootfs/etc/apt/apt.conf.d/90mirror"

  # Slim it the way Debian's official -slim images are (debuerreotype): no docs, man pages or
  # translations now or in later installs, no apt caches or lists, no services started by apt.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
DPKG
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,groff,info,locale,lintian,linda}/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/root/.bash_history
  # The engine provides these per container; the host's copies must not leak into the image.
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  : >"$rootfs/etc/machine-id"

  # /dev, /proc and /sys are the engine's business at run time.
  tar --numeric-owner -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
    docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  log "debian:bookworm-slim imported"
}

# ---- staging the build contexts ------------------------------------------------------------------

# Copies a file only when its content differs, so unchanged inputs keep their cached layers.
sync_file() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }

# The worker image's context: the node binary, production node_modules, package.json, dist/.
stage_worker() {
  local ctx="$stage/worker"
  mkdir -p "$ctx"
  sync_file "$node_bin" "$ctx/node"

  # Production dependencies: the host's node_modules (npm ci ran there) pruned of devDependencies,
  # redone only when the lock files change. npm prune works offline.
  if [[ ! -d "$ctx/node_modules" || "$(cat "$ctx/.node_modules.stamp" 2>/dev/null)" != "$modules_stamp" ]]; then
    log "staging production node_modules"
    rm -rf "$ctx/node_modules" "$ctx/.node_modules.stamp"
    cp -a node_modules "$ctx/node_modules"
    cp package.json package-lock.json "$ctx/"
    (cd "$ctx" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$modules_stamp" >"$ctx/.node_modules.stamp"
  fi
  sync_file package.json "$ctx/package.json"
  rm -rf "$ctx/dist"
  cp -a dist "$ctx/dist"
}

# The builder's context holds only what it adds to inet-swarm/worker-base:dev, so that no 200 MB of
# node binary and node_modules are sent to the daemon again.
stage_builder() {
  local ctx="$stage/builder"
  mkdir -p "$ctx"
  sync_file swarm/images/distccd-entrypoint.sh "$ctx/distccd-entrypoint.sh"
  sync_file package.json "$ctx/package.json"
  rm -rf "$ctx/dist"
  cp -a dist "$ctx/dist"
}

stage_redis() {
  mkdir -p "$stage/redis"
  sync_file swarm/images/redis-entrypoint.sh "$stage/redis/redis-entrypoint.sh"
}

stage_mongo() {
  mkdir -p "$stage/mongo"
  sync_file .tools/ferretdb-v1.24.0/ferretdb "$stage/mongo/ferretdb"
  sync_file swarm/images/ferretdb-entrypoint.sh "$stage/mongo/ferretdb-entrypoint.sh"
}

# ---- input fingerprints --------------------------------------------------------------------------
# Even a fully cached `docker build` of the worker costs ~5 s (the daemon checksums its 200 MB
# context), so each group of images is skipped outright when neither its inputs nor its images' ids
# changed since the last successful build.

hash_files() { sha256sum "$@" | sha256sum | cut -c1-64; }
hash_tree() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) | sha256sum | cut -c1-64; }

# Prints "<inputs hash> <image>=<id>..." for a group.
fingerprint() {
  local inputs="$1"
  shift
  local line="$inputs" image
  for image in "$@"; do line+=" $image=$(image_id "$image")"; done
  echo "$line"
}

# Runs "$2..." (a build) unless group $1's recorded fingerprint matches; records it afterwards.
build_group() {
  local group="$1" inputs="$2"
  shift 2
  local images=()
  while (($# > 0)) && [[ "$1" != -- ]]; do images+=("$1"); shift; done
  shift
  local record="$out/.inputs-$group"
  if [[ "$(cat "$record" 2>/dev/null)" == "$(fingerprint "$inputs" "${images[@]}")" ]]; then
    log "${images[*]} up to date"
    return
  fi
  "$@"
  fingerprint "$inputs" "${images[@]}" >"$record"
}

# ---- build ---------------------------------------------------------------------------------------

build_base_image
node_bin="$(node -p process.execPath)"
modules_stamp="$(cat package-lock.json node_modules/.package-lock.json 2>/dev/null | sha256sum | cut -c1-64)"
base_id="$(image_id debian:bookworm-slim)"
dist_hash="$(hash_tree dist)"

worker_base_inputs="$(echo "$base_id $omnetpp_version $modules_stamp $(stat -c '%n %s %Y' "$node_bin")" \
  "$(hash_files swarm/images/worker.Dockerfile)" | sha256sum | cut -c1-64)"
app_inputs="$(echo "$dist_hash $(hash_files package.json swarm/images/worker.Dockerfile \
  swarm/images/builder.Dockerfile swarm/images/distccd-entrypoint.sh)" | sha256sum | cut -c1-64)"

build_worker_base() {
  stage_worker
  build inet-swarm/worker-base:dev -f swarm/images/worker.Dockerfile --target base \
    --build-arg "OMNETPP_VERSION=$omnetpp_version" "$stage/worker"
}
build_apps() {
  stage_worker
  stage_builder
  build inet-swarm/worker:dev -f swarm/images/worker.Dockerfile \
    --build-arg "OMNETPP_VERSION=$omnetpp_version" "$stage/worker"
  build inet-swarm/builder:dev -f swarm/images/builder.Dockerfile "$stage/builder"
}
build_redis() {
  stage_redis
  build inet-swarm/redis:test -f swarm/images/redis-test.Dockerfile "$stage/redis"
}
build_mongo() {
  stage_mongo
  build inet-swarm/mongo:test -f swarm/images/mongo-test.Dockerfile "$stage/mongo"
}

build_group worker-base "$worker_base_inputs" inet-swarm/worker-base:dev -- build_worker_base
# The worker-base id is an input of the worker and the builder.
build_group apps "$app_inputs $(image_id inet-swarm/worker-base:dev)" \
  inet-swarm/worker:dev inet-swarm/builder:dev -- build_apps
build_group redis "$base_id $(hash_files swarm/images/redis-test.Dockerfile swarm/images/redis-entrypoint.sh)" \
  inet-swarm/redis:test -- build_redis
build_group mongo "$base_id $(hash_files swarm/images/mongo-test.Dockerfile swarm/images/ferretdb-entrypoint.sh \
  .tools/ferretdb-v1.24.0/ferretdb)" inet-swarm/mongo:test -- build_mongo

# ---- save for the other engines ------------------------------------------------------------------

saved=(debian:bookworm-slim inet-swarm/worker:dev inet-swarm/builder:dev inet-swarm/redis:test inet-swarm/mongo:test)
ids="$(for image in "${saved[@]}"; do echo "$image $(image_id "$image")"; done)"
if [[ -f "$images_tar" && "$(cat "$out/inet-swarm-images.ids" 2>/dev/null)" == "$ids" ]]; then
  log "$images_tar is up to date"
else
  log "saving ${saved[*]} to $images_tar"
  docker save -o "$images_tar.tmp" "${saved[@]}"
  mv "$images_tar.tmp" "$images_tar"
  echo "$ids" >"$out/inet-swarm-images.ids"
fi
