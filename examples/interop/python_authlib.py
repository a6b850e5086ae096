#!/usr/bin/env python3
"""Drives introspectmock with Authlib (https://authlib.org), through both of
its HTTP clients: requests (OAuth2Session) and httpx (OAuth2Client).

RFC 8414 discovery validated by authlib's AuthorizationServerMetadata, a
client_credentials token from fetch_token, introspect_token (RFC 7662) and
revoke_token (RFC 7009), each with client_secret_basic and
client_secret_post; and the authorization code flow with PKCE (S256) as a
public client through OAuth2Session, no browser: the id_token validated by
authlib's CodeIDToken, the access token introspected, a refresh, and the
rotated refresh token reused revoking the family (RFC 9700 §4.14.2).
Then JWT introspection answers (RFC 9701) checked with authlib.jose:
signed ones verified against jwks_uri, encrypted ones opened with the key
of a client registered over the admin API, which authenticates with
private_key_jwt assertions signed by authlib (RFC 7523). run.sh sets
IM_URL and IM_CA; see interop_common.py.
"""

import json
import sys
import time

try:
    import authlib
    from authlib.integrations.httpx_client import OAuth2Client as HttpxClient
    from authlib.integrations.requests_client import OAuth2Session as RequestsClient
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata, get_well_known_url
    from authlib.common.security import generate_token
    from authlib.integrations.base_client import OAuthError
    from authlib.jose import JsonWebEncryption, JsonWebKey, JsonWebSignature, jwt
    from authlib.oauth2.rfc7523 import PrivateKeyJWT
    from authlib.oidc.core import CodeIDToken
except ImportError as e:  # run.sh checks first; this is for a direct run
    print(f"python_authlib: authlib is not installed ({e}); apt-get install python3-authlib python3-httpx",
          file=sys.stderr)
    sys.exit(3)

from interop_common import (CA, CLIENT_ID, CLIENT_SECRET, INACTIVE, ODD_ID, ODD_SECRET, RS_ID, RS_SECRET, SPA_ID,
                            SPA_REDIRECT, TLS, URL, admin, check, check_active_fixture, check_inactive, finish)

print(f"authlib {authlib.__version__} against {URL}")
VERIFY = CA if TLS else True


def discover(make):
    """RFC 8414 §3: the metadata at the well-known URL authlib derives."""
    client = make()
    url = get_well_known_url(URL, external=True)
    check("discovery: URL", url == URL + "/.well-known/oauth-authorization-server", url)
    resp = client.request("GET", url, withhold_token=True)
    check("discovery: 200 JSON", resp.status_code == 200 and resp.headers["content-type"] == "application/json",
          f"{resp.status_code} {resp.headers.get('content-type')}")
    meta = AuthorizationServerMetadata(resp.json())
    problems = []
    for name in sorted(dir(meta)):
        if name.startswith("validate_"):
            try:
                getattr(meta, name)()
            except ValueError as e:
                problems.append(f"{name}: {e}")
    if not TLS:
        # authlib demands https for issuer and endpoints (RFC 8414 §2);
        # run.sh runs this script against a --tls server too, where they
        # must validate.
        problems = [p for p in problems if 'MUST use "https" scheme' not in p]
    # The authorization code flow makes the metadata complete: no complaint is tolerated.
    check("discovery: response_types_supported is [code]", meta.get("response_types_supported") == ["code"],
          meta.get("response_types_supported"))
    check("discovery: authorization_endpoint", meta.get("authorization_endpoint") == URL + "/authorize",
          meta.get("authorization_endpoint"))
    check("discovery: AuthorizationServerMetadata.validate", not problems, "; ".join(problems))
    check("discovery: issuer", meta["issuer"] == URL, meta.get("issuer"))
    oidc = client.request("GET", URL + "/.well-known/openid-configuration", withhold_token=True).json()
    check("discovery: openid-configuration has the same issuer and endpoints",
          all(oidc.get(k) == meta.get(k) for k in ("issuer", "token_endpoint", "introspection_endpoint",
                                                     "revocation_endpoint", "jwks_uri")), oidc)
    return meta


def run(label, make):
    meta = discover(lambda: make(None, None, None))
    for method in ("client_secret_basic", "client_secret_post"):
        what = f"{label}/{method}"

        # client_credentials (RFC 6749 §4.4).
        cc = make(CLIENT_ID, CLIENT_SECRET, method)
        token = cc.fetch_token(meta["token_endpoint"], grant_type="client_credentials", scope="read")
        check(f"{what}: fetch_token", token.get("token_type", "").lower() == "bearer" and token.get("access_token")
              and token.get("expires_in") == 600 and "refresh_token" not in token, dict(token))
        check(f"{what}: fetch_token expires_at", abs(token.get("expires_at", 0) - (time.time() + 600)) < 30,
              token.get("expires_at"))
        access = token["access_token"]

        rs = make(RS_ID, RS_SECRET, method)
        # introspect_token (RFC 7662) of the issued token.
        resp = rs.introspect_token(meta["introspection_endpoint"], token=access, token_type_hint="access_token")
        doc = resp.json()
        check(f"{what}: introspect issued token", resp.status_code == 200 and doc.get("active") is True
              and doc.get("client_id") == CLIENT_ID and doc.get("scope") == "read" and doc.get("iss") == URL
              and type(doc.get("exp")) is int and doc.get("exp") - doc.get("iat", 0) == 600,
              f"{resp.status_code} {resp.text}")
        check(f"{what}: introspection headers", resp.headers.get("content-type") == "application/json"
              and resp.headers.get("cache-control") == "no-store", dict(resp.headers))

        resp = rs.introspect_token(meta["introspection_endpoint"], token="fx-active")
        check(f"{what}: introspect fx-active status", resp.status_code == 200, resp.status_code)
        check_active_fixture(f"{what}: fx-active", resp.json())
        for tok in INACTIVE:
            resp = rs.introspect_token(meta["introspection_endpoint"], token=tok)
            check_inactive(f"{what}: introspect {tok} inactive", resp.status_code, resp.content)

        # revoke_token (RFC 7009 §2.2): 200 and empty, then inactive.
        resp = rs.revoke_token(meta["revocation_endpoint"], token=access, token_type_hint="access_token")
        check(f"{what}: revoke_token", resp.status_code == 200 and resp.content == b"", f"{resp.status_code} {resp.text}")
        resp = rs.introspect_token(meta["introspection_endpoint"], token=access)
        check_inactive(f"{what}: revoked issued token inactive", resp.status_code, resp.content)
        resp = rs.revoke_token(meta["revocation_endpoint"], token="no-such-token")
        check(f"{what}: revoke unknown token", resp.status_code == 200 and resp.content == b"", resp.status_code)

        # An issued token that expires (admin API) introspects inactive.
        other = cc.fetch_token(meta["token_endpoint"], grant_type="client_credentials")["access_token"]
        resp = rs.introspect_token(meta["introspection_endpoint"], token=other)
        check(f"{what}: second issued token active", resp.json().get("active") is True, resp.text)
        admin(f"/admin/tokens/{other}/expire")
        resp = rs.introspect_token(meta["introspection_endpoint"], token=other)
        check_inactive(f"{what}: expired issued token inactive", resp.status_code, resp.content)

        # authlib's Basic does not form-encode (docs/conformance.md CA-3, PF-7).
        odd = make(ODD_ID, ODD_SECRET, method)
        resp = odd.introspect_token(meta["introspection_endpoint"], token="fx-active")
        check(f"{what}: odd client id and secret", resp.status_code == 200 and resp.json().get("active") is True,
              f"{resp.status_code} {resp.text}")

        # Wrong secret: 401 invalid_client with a challenge (docs/conformance.md CA-9).
        bad = make(RS_ID, "wrong", method)
        resp = bad.introspect_token(meta["introspection_endpoint"], token="fx-active")
        check(f"{what}: wrong secret", resp.status_code == 401 and resp.json().get("error") == "invalid_client"
              and "WWW-Authenticate" in resp.headers, f"{resp.status_code} {resp.text}")
        try:
            make(CLIENT_ID, "wrong", method).fetch_token(meta["token_endpoint"], grant_type="client_credentials")
            check(f"{what}: fetch_token with a wrong secret raises", False, "no error")
        except Exception as e:  # authlib raises OAuthError from the error JSON
            check(f"{what}: fetch_token with a wrong secret raises invalid_client",
                  getattr(e, "error", "") == "invalid_client", repr(e))
    return meta


def requests_client(cid, secret, method):
    s = RequestsClient(client_id=cid, client_secret=secret, token_endpoint_auth_method=method,
                       revocation_endpoint_auth_method=method)
    s.verify = VERIFY
    # requests lets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE override
    # Session.verify; the CA of the --tls server must win.
    s.trust_env = False
    return s


def httpx_client(cid, secret, method):
    return HttpxClient(client_id=cid, client_secret=secret, token_endpoint_auth_method=method,
                       revocation_endpoint_auth_method=method, verify=VERIFY)


def pkce_flow():
    """RFC 6749 §4.1 with RFC 7636 PKCE, OpenID Connect, refresh rotation."""
    what = "authorization code + PKCE"
    oidc = requests_client(None, None, None).request("GET", URL + "/.well-known/openid-configuration",
                                                      withhold_token=True).json()
    spa = RequestsClient(client_id=SPA_ID, token_endpoint_auth_method="none", redirect_uri=SPA_REDIRECT,
                         scope="openid email", code_challenge_method="S256")
    spa.verify, spa.trust_env = VERIFY, False
    verifier, nonce = generate_token(48), generate_token(16)
    uri, state = spa.create_authorization_url(oidc["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    resp = spa.request("GET", uri, withhold_token=True, allow_redirects=False)
    location = resp.headers.get("location", "")
    check(f"{what}: authorize redirects at once with code, state and iss (RFC 9207)",
          resp.status_code == 302 and location.startswith(SPA_REDIRECT + "?") and "code=" in location
          and f"state={state}" in location and "iss=" in location, f"{resp.status_code} {location}")
    token = spa.fetch_token(oidc["token_endpoint"], authorization_response=location, state=state, code_verifier=verifier)
    check(f"{what}: fetch_token", token.get("access_token") and token.get("refresh_token") and token.get("id_token")
          and token.get("token_type", "").lower() == "bearer", dict(token))

    jwks = spa.request("GET", oidc["jwks_uri"], withhold_token=True).json()
    claims = jwt.decode(token["id_token"], JsonWebKey.import_key_set(jwks), claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "value": URL}},
                        claims_params={"nonce": nonce, "client_id": SPA_ID, "access_token": token["access_token"]})
    try:
        claims.validate()  # iss, sub, aud, exp, iat, nonce, at_hash, auth_time
        check(f"{what}: id_token validates (CodeIDToken)", claims["sub"] == "user-123"
              and claims.get("email") == "alice@example.com", dict(claims))
    except Exception as e:
        check(f"{what}: id_token validates (CodeIDToken)", False, repr(e))
    info = spa.request("GET", oidc["userinfo_endpoint"]).json()
    check(f"{what}: userinfo", info.get("sub") == "user-123" and info.get("preferred_username") == "alice", info)

    rs = requests_client(RS_ID, RS_SECRET, "client_secret_basic")
    doc = rs.introspect_token(oidc["introspection_endpoint"], token=token["access_token"]).json()
    check(f"{what}: introspect the access token", doc.get("active") is True and doc.get("sub") == "user-123"
          and doc.get("username") == "alice" and doc.get("client_id") == SPA_ID, doc)

    old = token["refresh_token"]
    fresh = spa.refresh_token(oidc["token_endpoint"], refresh_token=old)
    check(f"{what}: refresh_token rotates", fresh.get("access_token") and fresh.get("refresh_token")
          and fresh["refresh_token"] != old, dict(fresh))
    doc = rs.introspect_token(oidc["introspection_endpoint"], token=fresh["access_token"]).json()
    check(f"{what}: refreshed access token active", doc.get("active") is True and doc.get("sub") == "user-123", doc)

    again = RequestsClient(client_id=SPA_ID, token_endpoint_auth_method="none")
    again.verify, again.trust_env = VERIFY, False
    try:
        again.refresh_token(oidc["token_endpoint"], refresh_token=old)
        check(f"{what}: reused refresh token refused", False, "no error")
    except OAuthError as e:
        check(f"{what}: reused refresh token is invalid_grant", e.error == "invalid_grant", repr(e))
    for name, tok in (("first access", token["access_token"]), ("new access", fresh["access_token"]),
                      ("new refresh", fresh["refresh_token"])):
        resp = rs.introspect_token(oidc["introspection_endpoint"], token=tok)
        check_inactive(f"{what}: {name} token revoked with the family (RFC 9700 §4.14.2)", resp.status_code,
                       resp.content)


JWT_TYPE = "application/token-introspection+jwt"


def verify_jws(what, tok, alg, keys):
    """A JWT introspection answer as RFC 9701 §5 asks a resource server to
    check it: typ, alg, a signature by the jwks_uri key its kid names. It
    returns the claims, or None."""
    try:
        data = JsonWebSignature(algorithms=[alg]).deserialize_compact(
            tok, lambda header, payload: keys.find_by_kid(header.get("kid")))
    except Exception as e:  # authlib raises BadSignatureError, KeyError, …
        check(f"{what}: {alg} signature verifies with the jwks_uri key", False, repr(e))
        return None
    check(f"{what}: {alg} signature verifies with the jwks_uri key", True)
    header = data["header"]
    check(f"{what}: JWS header", header.get("typ") == "token-introspection+jwt" and header.get("alg") == alg, header)
    return json.loads(data["payload"])


def check_jwt_claims(what, claims, aud, plain):
    """iss, aud, iat and the RFC 7662 answer JSON would have given."""
    if claims is None:
        return
    check(f"{what}: iss, aud, iat", claims.get("iss") == URL and claims.get("aud") == aud
          and type(claims.get("iat")) is int and abs(claims["iat"] - time.time()) < 60, claims)
    check(f"{what}: token_introspection is the JSON answer", claims.get("token_introspection") == json.loads(plain),
          f"{claims.get('token_introspection')!r} vs {plain!r}")


def jwt_answers(meta):
    ep = meta["introspection_endpoint"]
    rs = requests_client(RS_ID, RS_SECRET, "client_secret_basic")
    keys = JsonWebKey.import_key_set(rs.get(meta["jwks_uri"], withhold_token=True).json())
    plain = rs.introspect_token(ep, token="fx-active").content

    resp = rs.introspect_token(ep, token="fx-active", headers={"Accept": JWT_TYPE})
    check("jwt: RS256 answer", resp.status_code == 200 and resp.headers.get("content-type") == JWT_TYPE,
          f"{resp.status_code} {resp.headers.get('content-type')} {resp.text}")
    check_jwt_claims("jwt: RS256 answer", verify_jws("jwt: RS256 answer", resp.text, "RS256", keys), RS_ID, plain)

    # Clients with their own keys, added over the admin API: an RSA key
    # their answers are encrypted to, a signature key authlib signs their
    # private_key_jwt assertions with (no kid: the server tries each key).
    for cid, enc, sig_alg, sig_key in (
            ("interop-jwt-cbc", "A128CBC-HS256", "ES256", JsonWebKey.generate_key("EC", "P-256", is_private=True)),
            ("interop-jwt-gcm", "A256GCM", "PS256", JsonWebKey.generate_key("RSA", 2048, is_private=True))):
        what = f"jwt: {cid}"
        enc_key = JsonWebKey.generate_key("RSA", 2048, is_private=True)
        jwks = {"keys": [dict(enc_key.as_dict(is_private=False), kid="enc-1", use="enc"),
                         dict(sig_key.as_dict(is_private=False), kid="sig-1", use="sig")]}
        status = admin("/admin/clients", {
            "client_id": cid, "jwks": jwks, "auth_methods": ["private_key_jwt"],
            "introspection_signed_response_alg": "PS256",
            "introspection_encrypted_response_alg": "RSA-OAEP-256", "introspection_encrypted_response_enc": enc})
        check(f"{what}: added over the admin API", status == 201, status)

        c = requests_client(cid, sig_key.as_pem(is_private=True), "private_key_jwt")
        c.register_client_auth_method(PrivateKeyJWT(alg=sig_alg))
        resp = c.introspect_token(ep, token="fx-active", headers={"Accept": JWT_TYPE})
        check(f"{what}: {sig_alg} private_key_jwt, encrypted answer",
              resp.status_code == 200 and resp.headers.get("content-type") == JWT_TYPE, f"{resp.status_code} {resp.text}")
        try:
            data = JsonWebEncryption().deserialize_compact(resp.text, enc_key)
        except Exception as e:
            check(f"{what}: RSA-OAEP-256 {enc} decrypts", False, repr(e))
            continue
        check(f"{what}: RSA-OAEP-256 {enc} decrypts", True)
        header = data["header"]
        check(f"{what}: JWE header", header.get("alg") == "RSA-OAEP-256" and header.get("enc") == enc
              and header.get("cty") == "JWT" and header.get("kid") == "enc-1", header)
        check_jwt_claims(what, verify_jws(what, data["payload"].decode(), "PS256", keys), cid, plain)

        # An assertion signed with a key the client does not have.
        other = JsonWebKey.generate_key("EC", "P-256", is_private=True)
        bad = requests_client(cid, other.as_pem(is_private=True), "private_key_jwt")
        bad.register_client_auth_method(PrivateKeyJWT(alg="ES256"))
        resp = bad.introspect_token(ep, token="fx-active")
        check(f"{what}: assertion by another key is invalid_client",
              resp.status_code == 401 and resp.json().get("error") == "invalid_client", f"{resp.status_code} {resp.text}")


meta = run("requests", requests_client)
run("httpx", httpx_client)
pkce_flow()
jwt_answers(meta)
finish("python_authlib")
