#!/usr/bin/env bash
# Measures how fast the introspectmock image starts: from `docker run` to
# the first 200 from /healthz (what testkit/container waits for), and to
# Docker's own health status "healthy" (what compose's depends_on
# condition: service_healthy waits for; it polls every 500ms, see the
# Dockerfile's HEALTHCHECK). Prints each run and the median, min and max.
#
#   bench/container-start.sh [RUNS]      # default 10; IMAGE=introspectmock:dev
#
# Build the image first (see the Dockerfile, or .ci/run). Every container
# started here is removed, also on failure.
set -euo pipefail
exec </dev/null
runs=${1:-10}
image=${IMAGE:-introspectmock:dev}
docker image inspect "$image" >/dev/null

cid=""
trap '[[ -z $cid ]] || docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

serve=() healthy=()
for ((r = 1; r <= runs; r++)); do
	t0=$(date +%s%N)
	cid=$(docker run -d -p 127.0.0.1::8080 --label introspectmock.test=1 "$image")
	port=$(docker port "$cid" 8080/tcp | grep -m1 -oE '[0-9]+$')
	until curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
		(($(ms_since "$t0") < 30000)) || { echo "no /healthz after 30s" >&2; docker logs "$cid" >&2; exit 1; }
		sleep 0.01
	done
	s=$(ms_since "$t0")
	until [[ $(docker inspect -f '{{.State.Health.Status}}' "$cid") == healthy ]]; do
		(($(ms_since "$t0") < 30000)) || { echo "not healthy after 30s" >&2; docker logs "$cid" >&2; exit 1; }
		sleep 0.02
	done
	h=$(ms_since "$t0")
	docker rm -f "$cid" >/dev/null
	cid=""
	serve+=("$s") healthy+=("$h")
	printf 'run %2d: /healthz 200 after %4d ms, docker healthy after %4d ms\n' "$r" "$s" "$h"
done

# stats NAME VALUES...: median, min and max.
stats() {
	local name=$1
	shift
	local sorted n
	mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
	n=${#sorted[@]}
	printf '%-22s median %4d ms, min %4d ms, max %4d ms (%d runs)\n' "$name" "${sorted[n / 2]}" "${sorted[0]}" "${sorted[n - 1]}" "$n"
}
stats "run to /healthz 200:" "${serve[@]}"
stats "run to docker healthy:" "${healthy[@]}"
