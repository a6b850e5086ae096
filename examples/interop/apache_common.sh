# Shared by the Apache clients (apache_mod_auth_openidc.sh,
# apache_mod_oauth2.sh); sourced, not run. Apache runs in the foreground
# (-X, one process) on a free loopback port with a config of its own, in
# front of static files under /api/ and /cached/; the checks use curl.
# Needs IM_URL (base URL and issuer) and IM_CA (the --tls server's CA, or
# empty), which run.sh sets.
URL=${IM_URL%/}
CA=${IM_CA:-}
apache=${APACHE2:-/usr/sbin/apache2}
modules=${APACHE_MODULES:-/usr/lib/apache2/modules}

# need_module NAME.so PACKAGE: exit 3 (skipped) unless Apache, the module
# and curl are installed.
need_module() {
	if [[ ! -x $apache || ! -f $modules/$1 ]] || ! command -v curl >/dev/null; then
		echo "needs $apache, $modules/$1 and curl (apt-get install apache2-bin $2 curl)" >&2
		exit 3
	fi
	echo "$2 $(dpkg-query -W -f '${Version}' "$2" 2>/dev/null || echo unknown)," \
		"$("$apache" -v | sed -n 's/^Server version: //p') against $URL"
}

passes=0 failures=0
check() { # WHAT OK(0/1) DETAIL
	if [[ $2 == 0 ]]; then
		passes=$((passes + 1))
		echo "ok   $1"
	else
		failures=$((failures + 1))
		echo "FAIL $1: $3" >&2
	fi
}
is() { [[ $1 == "$2" ]] && echo 0 || echo 1; }
finish() { # NAME
	echo "$1: $passes passed, $failures failed"
	((failures == 0))
}
curl_ca=()
[[ -n $CA ]] && curl_ca=(--cacert "$CA")

work=$(mktemp -d)
apache_pid=""
stop_apache() {
	if [[ -n $apache_pid ]]; then
		kill "$apache_pid" 2>/dev/null || true
		wait "$apache_pid" 2>/dev/null || true
		apache_pid=""
	fi
}
trap 'stop_apache; rm -rf "$work"' EXIT
# As root, Apache serves as nobody, who must read the files and the CA.
chmod 755 "$work"
mkdir -p "$work/htdocs/api" "$work/htdocs/cached"
if [[ -n $CA ]]; then
	cp "$CA" "$work/ca.pem"
	chmod 644 "$work/ca.pem"
fi
echo hello >"$work/htdocs/api/index.html"
echo hello >"$work/htdocs/cached/index.html"

# start_apache LOGLEVEL CONFIG: Apache with the common part and CONFIG (its
# module's LoadModule and directives, <Location /api/> and /cached/); sets
# port.
start_apache() {
	local try i user_line=""
	# As root, Apache wants a user to serve as.
	[[ $(id -u) == 0 ]] && user_line=$'User nobody\nGroup nogroup'
	for try in 1 2 3 4 5; do
		# Below the ephemeral range (32768 on), where the clients of load
		# tests on the same machine take their local ports.
		port=$((20000 + RANDOM % 12000))
		cat >"$work/httpd.conf" <<-EOF
			ServerRoot $work
			ServerName 127.0.0.1
			Listen 127.0.0.1:$port
			PidFile $work/httpd.pid
			Mutex file:$work default
			ErrorLog $work/error.log
			LogLevel warn $1
			$user_line
			LoadModule mpm_event_module $modules/mod_mpm_event.so
			LoadModule authn_core_module $modules/mod_authn_core.so
			LoadModule authz_core_module $modules/mod_authz_core.so
			LoadModule authz_user_module $modules/mod_authz_user.so
			LoadModule headers_module $modules/mod_headers.so
			DocumentRoot $work/htdocs
			<Directory />
			  AllowOverride None
			</Directory>
			<Directory $work/htdocs>
			  Require all granted
			</Directory>
			$2
		EOF
		: >"$work/error.log"
		rm -f "$work/httpd.pid"
		# A failed bind is said on stderr, before the error log opens.
		"$apache" -X -f "$work/httpd.conf" 2>"$work/start.log" &
		apache_pid=$!
		for ((i = 0; i < 100; i++)); do
			if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
				return 0
			fi
			kill -0 "$apache_pid" 2>/dev/null || break
			sleep 0.05
		done
		stop_apache
		grep -q "Address already in use" "$work/error.log" "$work/start.log" || break
	done
	echo "Apache did not start; its log:" >&2
	cat "$work/start.log" "$work/error.log" >&2
	exit 2
}

# call PATH [TOKEN]: sets status and headers of GET PATH with that bearer.
call() {
	local auth=()
	[[ -n ${2:-} ]] && auth=(-H "Authorization: Bearer $2")
	headers=$(curl -s -o /dev/null -D - "${auth[@]}" "http://127.0.0.1:$port$1" | tr -d '\r')
	status=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<<"$headers")
}
header() { sed -n "s/^$1: //Ip" <<<"$headers" | head -1; }

# token: a fresh client_credentials token (curl; the library is Apache).
token() {
	curl -s "${curl_ca[@]}" -u interop-client:interop-client-secret -d grant_type=client_credentials -d scope=read \
		"$URL/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
rs_post() { # ENDPOINT TOKEN: POST as the resource server, prints the body
	curl -s "${curl_ca[@]}" -u interop-rs:interop-rs-secret -d "token=$2" "$URL/$1"
}
clear_journal() { curl -s -X DELETE "${curl_ca[@]}" "$URL/admin/calls" >/dev/null; }
# introspect_methods: the auth_method of each introspection of fx-active
# since the journal was cleared (only Apache introspects it), sorted, unique.
introspect_methods() {
	curl -s "${curl_ca[@]}" "$URL/admin/calls?endpoint=introspect&token=fx-active" |
		grep -o '"auth_method":"[a-z]*"' | cut -d'"' -f4 | sort -u | tr '\n' ' '
}

# exercise WHAT JOURNAL_METHOD CACHED_REVOKED_STATUS: the checks of one
# running Apache. /api/ must introspect on every request; /cached/ has the
# module's default caching, where a revoked token gets CACHED_REVOKED_STATUS.
exercise() {
	local what=$1 tok
	clear_journal
	call /api/index.html fx-active
	check "$what: fx-active is let in" "$(is "$status" 200)" "status $status; log: $(tail -3 "$work/error.log")"
	check "$what: claims passed on" "$(is "$(header X-Sub)|$(header X-Tenant)|$(header X-Scope)|$(header X-Client-Id)" \
		"user-123|acme|read write|interop-client")" "$headers"
	for tok in fx-expired fx-revoked fx-not-yet-valid no-such-token; do
		call /api/index.html "$tok"
		check "$what: $tok is refused" "$(is "$status" 401)" "status $status"
		check "$what: $tok challenge" "$([[ $(header WWW-Authenticate) == *'error="invalid_token"'* ]] && echo 0 || echo 1)" \
			"$(header WWW-Authenticate)"
	done
	call /api/index.html
	check "$what: no token is refused" "$(is "$status" 401)" "status $status"

	# An issued token: let in, then revoked (RFC 7009) and refused at once.
	tok=$(token)
	check "$what: client_credentials token issued" "$([[ -n $tok ]] && echo 0 || echo 1)" "no access_token"
	call /api/index.html "$tok"
	check "$what: issued token is let in" "$(is "$status|$(header X-Client-Id)|$(header X-Scope)" "200|interop-client|read")" \
		"status $status; $headers"
	call /cached/index.html "$tok"
	check "$what: issued token is let in (cached path)" "$(is "$status" 200)" "status $status"
	rs_post revoke "$tok" >/dev/null
	check "$what: revoked token introspects inactive" "$(is "$(rs_post introspect "$tok")" '{"active":false}')" "still active"
	call /api/index.html "$tok"
	check "$what: revoked token is refused at once (no cache)" "$(is "$status" 401)" "status $status"
	call /cached/index.html "$tok"
	check "$what: revoked token on the cached path gets $3" "$(is "$status" "$3")" "status $status"
	check "$what: introspected with $2" "$(is "$(introspect_methods)" "$2 ")" "journal auth methods: $(introspect_methods)"
}
