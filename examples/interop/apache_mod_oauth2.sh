#!/usr/bin/env bash
# Puts introspectmock behind Apache's mod_oauth2 (liboauth2), the successor
# of mod_auth_openidc's resource server: AuthType oauth2 with
# OAuth2TokenVerify introspect, once with client_secret_basic and once with
# client_secret_post. liboauth2 has no option for a CA file, so under TLS it
# runs with introspect.ssl_verify=false. The checks are apache_common.sh's
# exercise.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/apache_common.sh"
need_module mod_oauth2.so libapache2-mod-oauth2

ssl_opt=""
if [[ $URL == https://* ]]; then
	ssl_opt="&introspect.ssl_verify=false"
	echo "note: liboauth2 cannot be given a CA file; TLS without verifying the certificate"
fi
declare -A journal_method=([client_secret_basic]=basic [client_secret_post]=post)
for method in client_secret_basic client_secret_post; do
	opts="introspect.auth=$method&client_id=interop-rs&client_secret=interop-rs-secret$ssl_opt"
	start_apache oauth2:info "
LoadModule oauth2_module $modules/mod_oauth2.so
<Location /api/>
  AuthType oauth2
  # verify.cache names no defined cache, so no answer is kept (the module
  # logs \"could NOT store\"): every request is introspected.
  OAuth2TokenVerify introspect $URL/introspect $opts&verify.cache=none
  OAuth2TargetPass prefix=OAUTH2_CLAIM_&envvars=true&headers=false
  Require valid-user
  Header always set X-Sub \"%{OAUTH2_CLAIM_sub}e\"
  Header always set X-Tenant \"%{OAUTH2_CLAIM_tenant}e\"
  Header always set X-Scope \"%{OAUTH2_CLAIM_scope}e\"
  Header always set X-Client-Id \"%{OAUTH2_CLAIM_client_id}e\"
</Location>
<Location /cached/>
  AuthType oauth2
  OAuth2TokenVerify introspect $URL/introspect $opts
  Require valid-user
</Location>"
	# Like mod_auth_openidc, mod_oauth2 caches an answer by default: a revoked
	# token still passes /cached/ (docs/conformance.md PF-12).
	exercise "$method" "${journal_method[$method]}" 200
	stop_apache
done
finish apache_mod_oauth2
