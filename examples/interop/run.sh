#!/usr/bin/env bash
# Runs introspectmock's interop clients: real OAuth client libraries of
# other languages (Debian packages, see README.md) driving the real binary.
#
#   ./run.sh            every client
#   ./run.sh NAME...    only these (see --list)
#   ./run.sh --list     the client names, one a line
#
# It builds the binary (or uses $INTROSPECTMOCK_BIN), and for each client and
# each mode (plain HTTP, then --tls with --tls-ca-out) starts a fresh server
# with fixtures.yaml on a free loopback port, runs the client with IM_URL and
# IM_CA set, and stops the server. A client prints one line per check and
# closes with "NAME: N passed, M failed".
#
# A client whose library is not installed is skipped with a message saying
# what to install, unless INTROSPECTMOCK_REQUIRE_INTEROP=1 (then it fails).
# Exit status: 0 all clients that ran passed; 1 a client failed or a required
# one was missing; 2 bad usage or the server did not start; 3 every
# requested client was skipped.
set -euo pipefail
exec </dev/null
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the checkout
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

clients=(python_authlib python_requests_oauthlib ruby_clients apache_mod_auth_openidc apache_mod_oauth2)
apt_line="apt-get install -y --no-install-recommends python3-authlib python3-httpx python3-requests-oauthlib ruby-oauth2 ruby-rack-oauth2 ruby-openid-connect apache2-bin libapache2-mod-auth-openidc libapache2-mod-oauth2 curl"

if [[ ${1:-} == --list ]]; then
	printf '%s\n' "${clients[@]}"
	exit 0
fi
want=("$@")
if [[ ${#want[@]} == 0 ]]; then
	want=("${clients[@]}")
fi
for name in "${want[@]}"; do
	if [[ " ${clients[*]} " != *" $name "* ]]; then
		echo "run.sh: unknown client $name (known: ${clients[*]})" >&2
		exit 2
	fi
done

# The Python of Debian's python3-* packages may not be the first python3 on
# PATH (pyenv, a venv): take the first that imports the client's modules.
pythons=()
[[ -n ${PYTHON:-} ]] && pythons+=("$PYTHON")
pythons+=(python3 /usr/bin/python3)
find_python() { # MODULES...; prints the interpreter
	local py modules
	modules=$(IFS=,; echo "$*")
	for py in "${pythons[@]}"; do
		if command -v "$py" >/dev/null 2>&1 && "$py" -c "import $modules" >/dev/null 2>&1; then
			command -v "$py"
			return 0
		fi
	done
	return 1
}

# runner NAME: sets cmd (the command that runs the client) or why (what is
# missing).
runner() {
	cmd=() why=""
	local py
	case $1 in
	python_authlib)
		if py=$(find_python authlib httpx requests); then
			cmd=("$py" "$here/python_authlib.py")
		else
			why="no python3 imports authlib, httpx and requests (apt-get install python3-authlib python3-httpx)"
		fi
		;;
	python_requests_oauthlib)
		if py=$(find_python requests_oauthlib oauthlib requests); then
			cmd=("$py" "$here/python_requests_oauthlib.py")
		else
			why="no python3 imports requests_oauthlib (apt-get install python3-requests-oauthlib)"
		fi
		;;
	ruby_clients)
		if ! command -v ruby >/dev/null 2>&1; then
			why="ruby is not installed (apt-get install ruby-oauth2 ruby-rack-oauth2 ruby-openid-connect)"
		elif ! ruby -e "require 'oauth2'; require 'rack/oauth2'; require 'openid_connect'" >/dev/null 2>&1; then
			why="ruby lacks the oauth2, rack-oauth2 or openid_connect gem (apt-get install ruby-oauth2 ruby-rack-oauth2 ruby-openid-connect)"
		else
			cmd=(ruby "$here/ruby_clients.rb")
		fi
		;;
	apache_mod_auth_openidc | apache_mod_oauth2)
		local so=mod_auth_openidc.so pkg=libapache2-mod-auth-openidc
		[[ $1 == apache_mod_oauth2 ]] && so=mod_oauth2.so pkg=libapache2-mod-oauth2
		if [[ ! -x /usr/sbin/apache2 || ! -f /usr/lib/apache2/modules/$so ]] || ! command -v curl >/dev/null 2>&1; then
			why="no Apache with $so, or no curl (apt-get install apache2-bin $pkg curl)"
		else
			cmd=(bash "$here/$1.sh")
		fi
		;;
	esac
}

work=$(mktemp -d)
server_pid=""
stop_server() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
		server_pid=""
	fi
}
cleanup() {
	stop_server
	rm -rf "$work"
}
trap cleanup EXIT

# start_server [FLAGS...]: a fresh server on a free port; sets url.
start_server() {
	local log=$work/server.log i
	: >"$log"
	"$bin" --addr 127.0.0.1:0 --fixtures "$here/fixtures.yaml" --log-format json "$@" >"$log" 2>&1 &
	server_pid=$!
	url=""
	for ((i = 0; i < 100; i++)); do
		url=$(grep -m1 -o '"url":"[^"]*"' "$log" | cut -d'"' -f4 || true)
		[[ -n $url ]] && return 0
		if ! kill -0 "$server_pid" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	echo "run.sh: introspectmock did not start; its log:" >&2
	cat "$log" >&2
	exit 2
}

# Skip or fail on missing libraries before building anything.
to_run=() skipped=0 missing=0
for name in "${want[@]}"; do
	runner "$name"
	if [[ -n $why ]]; then
		if [[ ${INTROSPECTMOCK_REQUIRE_INTEROP:-} == 1 ]]; then
			echo "MISSING $name: $why; INTROSPECTMOCK_REQUIRE_INTEROP=1 requires it" >&2
			missing=$((missing + 1))
		else
			echo "SKIP $name: $why"
			skipped=$((skipped + 1))
		fi
	else
		to_run+=("$name")
	fi
done
if ((missing > 0)); then
	echo "run.sh: $missing client(s) missing; install them with: $apt_line" >&2
	exit 1
fi
if ((${#to_run[@]} == 0)); then
	echo "interop: every requested client skipped; install them with: $apt_line"
	exit 3
fi

if [[ -n ${INTROSPECTMOCK_BIN:-} ]]; then
	bin=$INTROSPECTMOCK_BIN
else
	bin=$work/introspectmock
	(cd "$root" && go build -o "$bin" ./cmd/introspectmock)
fi

passed=0 failed=0 failed_names=()
for name in "${to_run[@]}"; do
	runner "$name"
	for mode in http tls; do
		if [[ $mode == tls ]]; then
			start_server --tls --tls-ca-out "$work/ca.pem"
			ca=$work/ca.pem
		else
			start_server
			ca=""
		fi
		echo "=== $name ($mode, $url)"
		out=$work/client.out
		status=0
		IM_URL=$url IM_CA=$ca timeout 300 "${cmd[@]}" >"$out" 2>&1 || status=$?
		stop_server
		# Passing checks are one "ok" line each; show them only on failure.
		if [[ $status == 0 ]] && grep -Eq "^$name: [0-9]+ passed, 0 failed\$" "$out"; then
			grep -v '^ok ' "$out"
			passed=$((passed + 1))
		else
			cat "$out"
			echo "FAIL $name ($mode): exit status $status" >&2
			failed=$((failed + 1))
			failed_names+=("$name/$mode")
		fi
	done
done

echo
if ((failed > 0)); then
	echo "interop FAILED: ${failed_names[*]}" >&2
fi
echo "interop: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
