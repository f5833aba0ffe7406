# The worker image plus what an OMNeT++ project build needs, with distcc and ccache. The same image
# runs the distcc daemons (the stack overrides the entrypoint with /usr/local/bin/distccd-entrypoint.sh).
#
# It starts from the worker's `base` stage (OS, optional OMNeT++, Node, node_modules), tagged
# inet-swarm/worker-base:dev by scripts/build-images.sh, rather than from inet-swarm/worker:dev:
# the worker changes with every `npm run build`, and the toolchain layer below would then be
# reinstalled each time. The result is the worker's content plus the toolchain, with the same
# dist/ and entrypoint.
ARG WORKER_BASE=inet-swarm/worker-base:dev
FROM ${WORKER_BASE}

# iproute2: distccd-entrypoint derives the allowed subnet from the overlay interface.
RUN apt-get update \
    && apt-get install -y --no-install-recommends distcc ccache g++ make bison flex perl python3 \
       libxml2-dev zlib1g-dev iproute2 \
    && update-distcc-symlinks \
    && rm -rf /var/lib/apt/lists/*

COPY distccd-entrypoint.sh /usr/local/bin/distccd-entrypoint.sh
COPY package.json /opt/inet-swarm/package.json
COPY dist /opt/inet-swarm/dist
ENTRYPOINT ["node", "/opt/inet-swarm/dist/swarm/services/main.js"]
