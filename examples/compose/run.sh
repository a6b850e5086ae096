#!/usr/bin/env bash
# Runs the compose example end to end: builds the introspectmock and
# resource server binaries and their images (FROM scratch, no registry),
# starts docker-compose.yml, waits until both services are healthy, checks
# the resource server's answers for an active, a revoked, an expired and a
# missing token, revokes the active token through introspectmock's admin
# API and checks again, then tears everything down, also on failure.
#
# Needs go, docker and docker-compose (v1) or the docker compose plugin.
# Environment: INTROSPECTMOCK_IMAGE, RESOURCESERVER_IMAGE (image tags,
# default introspectmock:dev and introspectmock-example-rs:dev),
# COMPOSE_PROJECT_NAME (default: unique per run), KEEP=1 leaves the
# services running (tear down with `docker-compose down`).
set -euo pipefail
exec </dev/null
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

export INTROSPECTMOCK_IMAGE=${INTROSPECTMOCK_IMAGE:-introspectmock:dev}
export RESOURCESERVER_IMAGE=${RESOURCESERVER_IMAGE:-introspectmock-example-rs:dev}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-imexample$$}

if docker compose version >/dev/null 2>&1; then
	compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
	compose=(docker-compose)
else
	echo "run.sh: neither 'docker compose' nor docker-compose is installed" >&2
	exit 2
fi

work=$(mktemp -d)
cleanup() {
	local status=$?
	if [[ $status != 0 ]]; then
		echo "--- logs of the failed run" >&2
		"${compose[@]}" logs --no-color --tail=30 >&2 2>&1 || true
	fi
	if [[ ${KEEP:-} != 1 ]]; then
		"${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT

echo "=== build binaries"
mkdir -p "$work/as" "$work/rs"
(
	cd "$root"
	export CGO_ENABLED=0 GOOS=linux
	go build -trimpath -ldflags='-s -w' -o "$work/as/introspectmock" ./cmd/introspectmock
	go build -trimpath -ldflags='-s -w' -o "$work/rs/resourceserver" ./examples/compose/resourceserver
)
cp "$root/Dockerfile" "$work/as/"
cp "$here/resourceserver/Dockerfile" "$work/rs/"

echo "=== build images $INTROSPECTMOCK_IMAGE and $RESOURCESERVER_IMAGE"
# build_image TAG DIR; the output (with the classic builder's deprecation
# notice) is shown only when the build fails.
build_image() {
	local out
	if ! out=$(docker build -q -t "$1" "$2" 2>&1); then
		echo "$out" >&2
		return 1
	fi
}
build_image "$INTROSPECTMOCK_IMAGE" "$work/as"
build_image "$RESOURCESERVER_IMAGE" "$work/rs"

echo "=== ${compose[*]} up (project $COMPOSE_PROJECT_NAME)"
t0=$(date +%s%N)
"${compose[@]}" up -d

# wait_healthy SERVICE: until Docker reports it healthy (bounded).
wait_healthy() {
	local id status="" i
	id=$("${compose[@]}" ps -q "$1")
	for ((i = 0; i < 300; i++)); do
		status=$(docker inspect -f '{{.State.Status}}/{{.State.Health.Status}}' "$id")
		case $status in
		running/healthy) return 0 ;;
		running/*) sleep 0.1 ;;
		*) break ;;
		esac
	done
	echo "$1 is not healthy ($status)" >&2
	return 1
}
wait_healthy introspectmock
wait_healthy resourceserver
echo "both services healthy $((($(date +%s%N) - t0) / 1000000)) ms after up"

# port SERVICE PORT prints host:port of a published port.
port() { "${compose[@]}" port "$1" "$2" | tail -n1 | tr -d '\r'; }
rs=$(port resourceserver 8081)
as=$(port introspectmock 8080)

# expect WHAT STATUS TOKEN: GET /hello with TOKEN must answer STATUS.
expect() {
	local what=$1 want=$2 token=$3 got
	local args=(-sS --max-time 10 -o "$work/body" -w '%{http_code}')
	if [[ -n $token ]]; then
		args+=(-H "Authorization: Bearer $token")
	fi
	got=$(curl "${args[@]}" "http://$rs/hello")
	if [[ $got != "$want" ]]; then
		echo "FAIL $what: status $got, want $want: $(cat "$work/body")" >&2
		exit 1
	fi
	echo "ok   $what: $got $(cat "$work/body")"
}

echo "=== checks against http://$rs"
expect "active token" 200 alice-token
expect "revoked token" 401 bob-revoked-token
expect "expired token" 401 carol-expired-token
expect "unknown token" 401 no-such-token
expect "no token" 401 ""

echo "=== revoke alice-token through the admin API at http://$as"
code=$(curl -sS --max-time 10 -o "$work/body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer example-admin-token" "http://$as/admin/tokens/alice-token/revoke")
if [[ $code != 204 ]]; then
	echo "FAIL admin revoke: status $code, want 204: $(cat "$work/body")" >&2
	exit 1
fi
expect "active token after revocation" 401 alice-token

echo "compose example passed"
