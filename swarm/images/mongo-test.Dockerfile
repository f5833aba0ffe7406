# TEST STAND-IN for the official `mongo` image, which cannot be pulled on our build machines:
# FerretDB 1.24 (MongoDB wire protocol on SQLite, built on the host by scripts/build-ferretdb.sh).
# The entrypoint honours the official image's MONGO_INITDB_ROOT_USERNAME and
# MONGO_INITDB_ROOT_PASSWORD(_FILE), listens on 0.0.0.0:27017 and keeps everything under /data/db.
# Only what both servers support may be used (CRUD, indexes, GridFS). Production uses `mongo`.
FROM debian:bookworm-slim
# FerretDB is a Go binary linked against glibc only (checked with ldd); the base image has it.
COPY ferretdb /usr/local/bin/ferretdb
COPY ferretdb-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data/db
EXPOSE 27017
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["mongod"]
