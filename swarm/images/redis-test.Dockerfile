# TEST STAND-IN for the official `redis` image, which cannot be pulled on our build machines.
# Debian's redis-server with an entrypoint that accepts the official image's command lines
# (`redis-server --appendonly yes ...`, or just options), runs as user redis in /data, and keeps
# redis-cli for health checks. Production stacks use the official image.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server"]
