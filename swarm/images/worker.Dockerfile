# The image every swarm service runs (runner, gateway, dashboard; the builder extends its `base` stage).
#
# Built by scripts/build-images.sh from a staging directory that holds exactly: `node` (the official
# Node.js 24 binary from the host), `node_modules` (production dependencies), `package.json` and
# `dist/`. Nothing is downloaded from the internet unless OMNETPP_VERSION is set. Layers go from the
# least to the most often changed, so a rebuild after `npm run build` only redoes the last two layers.

FROM debian:bookworm-slim AS base

# libstdc++ is already in the base image; simulations and Node's TLS need the CA bundle.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# Optional: a real OMNeT++ in the image, e.g. `OMNETPP_VERSION=6.1.0 bash scripts/build-images.sh`.
# Empty by default because our build machines cannot reach GitHub; this branch is therefore NOT tested
# here. Installed under /opt/omnetpp with its bin/ on PATH (opp_run, opp_makemake, nedtool...). The
# build dependencies stay in the image: simulations built by the builder image link against
# OMNeT++'s libraries, and those need libxml2/zlib at run time anyway.
ARG OMNETPP_VERSION=
RUN if [ -n "$OMNETPP_VERSION" ]; then \
      set -eux; \
      apt-get update; \
      apt-get install -y --no-install-recommends curl g++ make bison flex perl python3 \
        libxml2-dev zlib1g-dev; \
      mkdir -p /opt/omnetpp; \
      curl -fsSL "https://github.com/omnetpp/omnetpp/releases/download/omnetpp-${OMNETPP_VERSION}/omnetpp-${OMNETPP_VERSION}-linux-x86_64.tgz" \
        | tar -xz -C /opt/omnetpp --strip-components=1; \
      cd /opt/omnetpp; \
      export PATH="/opt/omnetpp/bin:$PATH"; \
      ./configure WITH_QTENV=no WITH_OSG=no WITH_OSGEARTH=no; \
      make MODE=release -j"$(nproc)"; \
      rm -rf /var/lib/apt/lists/* doc samples; \
    fi
ENV PATH=/opt/omnetpp/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

COPY node /usr/local/bin/node
COPY node_modules /opt/inet-swarm/node_modules
WORKDIR /opt/inet-swarm

FROM base AS worker
# package.json carries "type": "module", which dist/ needs; it changes more often than the lock file.
COPY package.json /opt/inet-swarm/package.json
COPY dist /opt/inet-swarm/dist
# The first argument is the service role: runner, gateway, dashboard or builder.
ENTRYPOINT ["node", "/opt/inet-swarm/dist/swarm/services/main.js"]
