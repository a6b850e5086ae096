#!/usr/bin/env bash
# Puts introspectmock behind Apache's mod_auth_openidc as an OAuth 2.0
# resource server (AuthType oauth20), which introspects every bearer token
# it is shown and passes the answer's claims on. Runs:
# - with the introspection endpoint configured (OIDCOAuthIntrospectionEndpoint,
#   which must be https: TLS mode only) once per auth method:
#   client_secret_basic, client_secret_post and a static bearer token;
# - with the endpoint discovered from RFC 8414 metadata
#   (OIDCOAuthServerMetadataURL, http or https), where the module takes the
#   first of introspection_endpoint_auth_methods_supported, client_secret_basic.
# The journal (admin API) shows each run used the method it should. The
# checks are apache_common.sh's exercise.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/apache_common.sh"
need_module mod_auth_openidc.so libapache2-mod-auth-openidc

runs=("client_secret_basic discovery")
if [[ $URL == https://* ]]; then
	runs+=("client_secret_basic direct" "client_secret_post direct" "bearer_access_token direct")
else
	echo "note: OIDCOAuthIntrospectionEndpoint must be https; plain HTTP runs discovery only"
fi
declare -A journal_method=([client_secret_basic]=basic [client_secret_post]=post [bearer_access_token]=bearer)
for run in "${runs[@]}"; do
	read -r method config <<<"$run"
	if [[ $config == direct ]]; then
		endpoint_line="OIDCOAuthIntrospectionEndpoint $URL/introspect"
	else
		endpoint_line="OIDCOAuthServerMetadataURL $URL/.well-known/oauth-authorization-server"
	fi
	bearer_line="" ca_line=""
	[[ $method == bearer_access_token ]] && bearer_line="OIDCOAuthIntrospectionClientAuthBearerToken interop-rs-bearer"
	[[ -n $CA ]] && ca_line="OIDCCABundlePath $work/ca.pem"
	start_apache auth_openidc:info "
LoadModule auth_openidc_module $modules/mod_auth_openidc.so
OIDCCryptoPassphrase interop-example-not-a-secret
$ca_line
$endpoint_line
OIDCOAuthClientID interop-rs
OIDCOAuthClientSecret interop-rs-secret
OIDCOAuthIntrospectionEndpointAuth $method
$bearer_line
OIDCOAuthTokenExpiryClaim exp absolute mandatory
OIDCOAuthRemoteUserClaim sub
OIDCPassClaimsAs environment
<Location /api/>
  AuthType oauth20
  Require valid-user
  # Introspect on every request: a revocation shows at once.
  OIDCOAuthTokenIntrospectionInterval -1
  Header always set X-Sub \"%{OIDC_CLAIM_sub}e\"
  Header always set X-Tenant \"%{OIDC_CLAIM_tenant}e\"
  Header always set X-Scope \"%{OIDC_CLAIM_scope}e\"
  Header always set X-Client-Id \"%{OIDC_CLAIM_client_id}e\"
</Location>
<Location /cached/>
  AuthType oauth20
  Require valid-user
</Location>"
	# mod_auth_openidc's default caches an answer until its exp: a revoked
	# token still passes /cached/. Tests that revoke or expire tokens
	# mid-flow need OIDCOAuthTokenIntrospectionInterval -1 (docs/conformance.md PF-12).
	exercise "$method/$config" "${journal_method[$method]}" 200
	stop_apache
done
finish apache_mod_auth_openidc
