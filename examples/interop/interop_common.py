"""Shared helpers of the Python interop clients (examples/interop).

The server under test is named by the environment, which run.sh sets:
IM_URL (its base URL, which is also the issuer: fixtures.yaml sets none)
and IM_CA (the PEM CA of a --tls server; empty for plain HTTP).
"""

import json
import os
import sys
import urllib.request
import ssl

URL = os.environ["IM_URL"].rstrip("/")
CA = os.environ.get("IM_CA") or None
TLS = URL.startswith("https://")

# The callers and tokens of fixtures.yaml.
RS_ID, RS_SECRET = "interop-rs", "interop-rs-secret"
ODD_ID, ODD_SECRET = "rs+odd id", "s3cret/with+plus&amp=%"
RS_BEARER = "interop-rs-bearer"
CLIENT_ID, CLIENT_SECRET = "interop-client", "interop-client-secret"
# The public client of the authorization code flow; any loopback port will do.
SPA_ID, SPA_REDIRECT = "interop-spa", "http://127.0.0.1:8765/callback"
INACTIVE = ["fx-expired", "fx-revoked", "fx-not-yet-valid", "no-such-token"]

failures = []
passes = 0


def check(what, ok, detail=""):
    """Records one expectation; prints it; a failure is remembered."""
    global passes
    if ok:
        passes += 1
        print(f"ok   {what}")
    else:
        failures.append(what)
        print(f"FAIL {what}: {detail}", file=sys.stderr)


def finish(name):
    """Prints the closing line and exits 1 when anything failed."""
    print(f"{name}: {passes} passed, {len(failures)} failed")
    if failures:
        sys.exit(1)


def admin(path, body=None):
    """Calls introspectmock's admin API (not a library under test)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(URL + path, data=data, method="POST", headers=headers)
    ctx = ssl.create_default_context(cafile=CA) if TLS else None
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return resp.status


def check_active_fixture(what, doc):
    """fx-active's members, with the JSON types RFC 7662 §2.2 asks for."""
    want = {
        "active": True, "scope": "read write", "client_id": "interop-client",
        "username": "alice", "sub": "user-123", "aud": ["orders-api"],
        "iss": URL, "token_type": "Bearer", "jti": "fx-active-jti",
        "tenant": "acme", "roles": ["admin"], "level": 3,
    }
    for k, v in want.items():
        got = doc.get(k)
        check(f"{what}: {k}", got == v and type(got) is type(v), f"got {got!r}; want {v!r}")
    for k in ("exp", "iat"):
        check(f"{what}: {k} is an integer", type(doc.get(k)) is int, f"got {doc.get(k)!r}")
    if type(doc.get("exp")) is int and type(doc.get("iat")) is int:
        check(f"{what}: exp - iat", doc["exp"] - doc["iat"] == 3900, f"got {doc['exp'] - doc['iat']}")


def check_inactive(what, status, body):
    """RFC 7662 §2.2: 200 and exactly {"active":false} (docs/conformance.md IR-7)."""
    check(what, status == 200 and json.loads(body) == {"active": False} and body.strip() == b'{"active":false}',
          f"got {status} {body!r}")
