#!/usr/bin/env bash
# Builds FerretDB (a MongoDB-wire-protocol server on SQLite) for the integration tests, idempotently,
# into .tools/. No mongod can be installed from the registries our machines reach; FerretDB comes from
# the Go module proxy. Its module lacks the generated version file, so we build from a copy of it.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="v1.24.0"
OUT=".tools/ferretdb-${VERSION}/ferretdb"
[[ -x "$OUT" ]] && exit 0

command -v go >/dev/null || { echo "build-ferretdb: Go is needed (apt-get install golang-go, Go >= 1.21)" >&2; exit 1; }
export GOTOOLCHAIN=auto GOFLAGS=-mod=mod
src="$(go mod download -json "github.com/FerretDB/FerretDB@${VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$src" ]] || { echo "build-ferretdb: could not download FerretDB ${VERSION}" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
echo "$VERSION" > "$work/build/version/version.txt"
mkdir -p "$(dirname "$OUT")"
(cd "$work" && go build -o "$OLDPWD/$OUT" ./cmd/ferretdb)
echo "build-ferretdb: built $OUT" >&2
