#!/usr/bin/env python3
"""Drives introspectmock with requests-oauthlib and oauthlib.

A client_credentials token from OAuth2Session(BackendApplicationClient)
.fetch_token, with HTTP Basic (requests' HTTPBasicAuth, which does not
form-encode) and with client_secret_post; that token used as a Bearer
caller of the introspection endpoint (docs/conformance.md CA-5, PF-14); introspection as a
resource server; revocation prepared by oauthlib's
prepare_token_revocation_request (RFC 7009). oauthlib refuses http URLs
unless OAUTHLIB_INSECURE_TRANSPORT is set, which this script sets only for a
plain-HTTP server. run.sh sets IM_URL and IM_CA; see interop_common.py.
"""

import os
import sys
import time

from interop_common import (CA, CLIENT_ID, CLIENT_SECRET, INACTIVE, ODD_ID, ODD_SECRET, RS_BEARER, RS_ID, RS_SECRET,
                            TLS, URL, admin, check, check_active_fixture, check_inactive, finish)

if not TLS:
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

try:
    import oauthlib
    import requests
    import requests_oauthlib
    from oauthlib.oauth2 import BackendApplicationClient, InsecureTransportError, InvalidClientError
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session
except ImportError as e:  # run.sh checks first; this is for a direct run
    print(f"python_requests_oauthlib: not installed ({e}); apt-get install python3-requests-oauthlib",
          file=sys.stderr)
    sys.exit(3)

print(f"requests-oauthlib {requests_oauthlib.__version__}, oauthlib {oauthlib.__version__}, "
      f"requests {requests.__version__} against {URL}")
VERIFY = CA if TLS else True


def session(**kw):
    s = OAuth2Session(**kw)
    s.verify = VERIFY
    s.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
    return s


def rs_call(endpoint, method, data, cid=RS_ID, secret=RS_SECRET):
    """A resource server's call with client_secret_basic or _post."""
    s = session()
    if method == "client_secret_basic":
        return s.post(endpoint, data=data, auth=HTTPBasicAuth(cid, secret), withhold_token=True)
    return s.post(endpoint, data=dict(data, client_id=cid, client_secret=secret), withhold_token=True)


meta = session().get(URL + "/.well-known/oauth-authorization-server", withhold_token=True).json()
check("discovery: issuer", meta.get("issuer") == URL, meta.get("issuer"))
token_url, introspect_url, revoke_url = meta["token_endpoint"], meta["introspection_endpoint"], meta["revocation_endpoint"]

if TLS:
    # oauthlib's https rule is what run.sh's --tls run exists for.
    try:
        session(client=BackendApplicationClient(client_id=CLIENT_ID)).fetch_token(
            token_url.replace("https://", "http://"), client_secret=CLIENT_SECRET, verify=VERIFY)
        check("oauthlib refuses an http token endpoint", False, "no InsecureTransportError")
    except InsecureTransportError:
        check("oauthlib refuses an http token endpoint", True)

for method in ("client_secret_basic", "client_secret_post"):
    what = method
    cc = session(client=BackendApplicationClient(client_id=CLIENT_ID, scope=["read", "write"]))
    token = cc.fetch_token(token_url, client_secret=CLIENT_SECRET, include_client_id=method == "client_secret_post",
                           verify=VERIFY)  # fetch_token passes its own verify=True otherwise
    check(f"{what}: fetch_token", token.get("token_type", "").lower() == "bearer" and token.get("access_token")
          and token.get("expires_in") == 600 and "refresh_token" not in token, dict(token))
    check(f"{what}: fetch_token expires_at", abs(token.get("expires_at", 0) - (time.time() + 600)) < 30,
          token.get("expires_at"))
    access = token["access_token"]

    # The issued token as a Bearer caller: OAuth2Session adds the header.
    resp = cc.post(introspect_url, data={"token": "fx-active"})
    check(f"{what}: bearer (issued token) introspects fx-active", resp.status_code == 200, resp.status_code)
    check_active_fixture(f"{what}: bearer fx-active", resp.json())
    for tok in INACTIVE:
        resp = cc.post(introspect_url, data={"token": tok})
        check_inactive(f"{what}: bearer introspect {tok}", resp.status_code, resp.content)
    resp = cc.post(introspect_url, data={"token": access, "token_type_hint": "access_token"})
    doc = resp.json()
    check(f"{what}: bearer introspects itself", doc.get("active") is True and doc.get("client_id") == CLIENT_ID
          and doc.get("scope") == "read write" and doc.get("exp") - doc.get("iat") == 600, resp.text)

    # A fixture bearer caller.
    fixture_bearer = session(token={"access_token": RS_BEARER, "token_type": "Bearer"})
    resp = fixture_bearer.post(introspect_url, data={"token": access})
    check(f"{what}: fixture bearer introspects the issued token", resp.json().get("active") is True, resp.text)

    # Resource server: introspect with client credentials.
    resp = rs_call(introspect_url, method, {"token": access})
    check(f"{what}: RS introspects the issued token", resp.status_code == 200 and resp.json().get("active") is True
          and resp.headers.get("content-type") == "application/json", f"{resp.status_code} {resp.text}")
    resp = rs_call(introspect_url, method, {"token": "fx-active"}, ODD_ID, ODD_SECRET)
    check(f"{what}: odd client id and secret (requests' raw Basic)", resp.status_code == 200
          and resp.json().get("active") is True, f"{resp.status_code} {resp.text}")
    resp = rs_call(introspect_url, method, {"token": "fx-active"}, RS_ID, "wrong")
    check(f"{what}: wrong secret", resp.status_code == 401 and resp.json() == {"error": "invalid_client"}
          and "WWW-Authenticate" in resp.headers, f"{resp.status_code} {resp.text}")

    # Revocation prepared by oauthlib (RFC 7009 §2.1).
    url, headers, body = cc._client.prepare_token_revocation_request(revoke_url, access, "access_token")
    if method == "client_secret_basic":
        resp = requests.post(url, data=body, headers=headers, auth=HTTPBasicAuth(RS_ID, RS_SECRET), verify=VERIFY)
    else:
        body += f"&client_id={RS_ID}&client_secret={RS_SECRET}"
        resp = requests.post(url, data=body, headers=headers, verify=VERIFY)
    check(f"{what}: revoke", resp.status_code == 200 and resp.content == b"", f"{resp.status_code} {resp.text}")
    resp = rs_call(introspect_url, method, {"token": access})
    check_inactive(f"{what}: revoked token inactive", resp.status_code, resp.content)
    # The revoked token no longer authenticates (docs/conformance.md CA-10).
    resp = cc.post(introspect_url, data={"token": "fx-active"})
    check(f"{what}: revoked bearer caller gets 401 invalid_token", resp.status_code == 401
          and resp.json().get("error") == "invalid_token"
          and 'error="invalid_token"' in resp.headers.get("WWW-Authenticate", ""), f"{resp.status_code} {resp.text}")

    # An issued token that expires (admin API) introspects inactive.
    other = cc.fetch_token(token_url, client_secret=CLIENT_SECRET,
                           include_client_id=method == "client_secret_post", verify=VERIFY)["access_token"]
    admin(f"/admin/tokens/{other}/expire")
    resp = rs_call(introspect_url, method, {"token": other})
    check_inactive(f"{what}: expired issued token inactive", resp.status_code, resp.content)

    # A wrong secret makes oauthlib raise InvalidClientError.
    try:
        session(client=BackendApplicationClient(client_id=CLIENT_ID)).fetch_token(
            token_url, client_secret="wrong", include_client_id=method == "client_secret_post", verify=VERIFY)
        check(f"{what}: wrong client secret raises", False, "no error")
    except InvalidClientError:
        check(f"{what}: wrong client secret raises InvalidClientError", True)

finish("python_requests_oauthlib")
