"""Keys, forged JWS and raw HTTP for oauth_driver.py (Keyward's OAuth security-case tests).

Every key is generated at run time and lives only in this process. Every assertion, proof and
token the driver sends or receives is appended to the ledger file (KEYWARD_LEDGER) so that the
Swift test can prove none of them reached a log line, an audit record or the database; none is
printed on stdout.
"""
import base64
import hashlib
import http.client
import json
import os
import time
import urllib.parse
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from joserfc.jwk import thumbprint as joserfc_thumbprint

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The order of the P-256 group (SEC 2 §2.4.2): an ECDSA (r, s) also verifies as (r, n - s).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(value):
    """A header or payload segment: a dict as compact JSON, or JSON text exactly as given."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return b64u(text.encode())


def sha256_b64u(text):
    return b64u(hashlib.sha256(text.encode()).digest())


class Key:
    """A client (or DPoP) signing key: EC P-256 for ES256, or RSA for RS256."""

    def __init__(self, kind="EC", kid=None, bits=2048):
        self.kind = kind
        self.kid = kid or "k-" + uuid.uuid4().hex[:10]
        if kind == "EC":
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            self.alg = "RS256"

    def public_jwk(self, alg=True, kid=True):
        nums = self.private.public_key().public_numbers()
        if self.kind == "EC":
            jwk = {"kty": "EC", "crv": "P-256", "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))}
        else:
            jwk = {"kty": "RSA", "n": b64u(nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")), "e": b64u(nums.e.to_bytes(3, "big"))}
        if alg:
            jwk["alg"] = self.alg
        if kid:
            jwk["kid"] = self.kid
        return jwk

    def private_jwk(self):
        """For requests-oauth2client's PrivateKeyJwt (never printed, never written)."""
        jwk = self.public_jwk()
        if self.kind == "EC":
            jwk["d"] = b64u(self.private.private_numbers().private_value.to_bytes(32, "big"))
        else:
            p = self.private.private_numbers()
            for name, v in (("d", p.d), ("p", p.p), ("q", p.q), ("dp", p.dmp1), ("dq", p.dmq1), ("qi", p.iqmp)):
                jwk[name] = b64u(v.to_bytes((v.bit_length() + 7) // 8, "big"))
        return jwk

    def thumbprint(self):
        """RFC 7638 SHA-256 thumbprint, computed by joserfc (not by Keyward's code)."""
        return joserfc_thumbprint(self.public_jwk(alg=False, kid=False))

    def public_pem(self):
        return self.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def public_der(self):
        return self.private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, signing_input, der=False):
        if self.kind == "EC":
            sig = self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
            if der:
                return sig
            r, s = utils.decode_dss_signature(sig)
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())


def jws(key, header, payload, signature=None, der=False):
    """A compact JWS. header/payload: dicts, or JSON text used verbatim (duplicate members).
    signature: bytes to use instead of signing (zeros, empty, an HMAC)."""
    signing_input = (b64u_json(header) + "." + b64u_json(payload)).encode()
    if signature is None:
        signature = key.sign(signing_input, der=der)
    return signing_input.decode() + "." + b64u(signature)


def malleate(compact):
    """The same ES256 JWS with its signature (r, s) replaced by (r, n - s): still a valid signature."""
    head, sig = compact.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return head + "." + b64u(r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big"))


class Context:
    """The server under test, the admin key and identity the Swift test made, and the ledger."""

    def __init__(self):
        env = os.environ
        self.base = env["KEYWARD_URL"].rstrip("/")
        self.admin = env["KEYWARD_ADMIN_KEY"]
        self.identity = env.get("KEYWARD_IDENTITY", "")
        self.ledger_path = env["KEYWARD_LEDGER"]
        self.state_path = env.get("KEYWARD_STATE", "")
        parsed = urllib.parse.urlsplit(self.base)
        self.host, self.port = parsed.hostname, parsed.port
        _, _, body = self.request("GET", "/.well-known/oauth-authorization-server")
        meta = json.loads(body)
        self.issuer = meta["issuer"]
        self.token_endpoint = meta["token_endpoint"]
        self.revocation_endpoint = meta["revocation_endpoint"]

    def secret(self, text):
        """Records a sent or received secret for the Swift test's leak check (never stdout)."""
        if text and len(text) >= 16:
            with open(self.ledger_path, "a") as f:
                f.write(text[:8192] + "\n")

    def request(self, method, path, body=None, headers=()):
        """One raw HTTP request (headers as pairs, so a header may repeat) → (status, headers, body)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.putrequest(method, path)
            data = body.encode() if isinstance(body, str) else body
            for name, value in headers:
                conn.putheader(name, value)
            if data is not None:
                conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def form(self, path, pairs, headers=()):
        body = urllib.parse.urlencode(pairs)
        return self.request("POST", path, body, [("Content-Type", "application/x-www-form-urlencoded")] + list(headers))

    def admin_json(self, method, path, obj=None, token=None):
        headers = [("Authorization", "Bearer " + (token or self.admin))]
        body = None
        if obj is not None:
            body = obj if isinstance(obj, str) else json.dumps(obj)
            headers.append(("Content-Type", "application/json"))
        status, hdrs, raw = self.request(method, path, body, headers)
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return status, hdrs, parsed

    def register(self, keys, scope="payments:read payments:write", dpop=False, extra=None):
        """Registers a private_key_jwt client holding `keys`; returns its client_id."""
        obj = {"identity_id": self.identity, "token_endpoint_auth_method": "private_key_jwt",
               "jwks": {"keys": [k.public_jwk() for k in keys]}, "scope": scope}
        if dpop:
            obj["dpop_bound_access_tokens"] = True
        obj.update(extra or {})
        status, _, body = self.admin_json("POST", "/v1/clients", obj)
        if status != 201:
            raise RuntimeError("client registration failed: %d %s" % (status, body))
        return body["client_id"]

    def claims(self, client_id, **overrides):
        """A valid assertion's claims; an override of None removes the claim."""
        now = int(time.time())
        c = {"iss": client_id, "sub": client_id, "aud": self.token_endpoint, "exp": now + 60, "iat": now, "jti": uuid.uuid4().hex}
        for name, value in overrides.items():
            if value is None:
                c.pop(name, None)
            else:
                c[name] = value
        return c

    def assertion(self, key, client_id, header=None, **overrides):
        return jws(key, header or {"alg": key.alg, "kid": key.kid}, self.claims(client_id, **overrides))

    def token(self, assertion, extra=(), headers=(), grant="client_credentials", assertion_type=ASSERTION_TYPE):
        """POST /oauth/token; returns a summary (status, error, token_type, …), the token itself kept out."""
        pairs = [("grant_type", grant), ("client_assertion_type", assertion_type), ("client_assertion", assertion)] + list(extra)
        self.secret(assertion)
        return self.summarize(*self.form("/oauth/token", pairs, headers))

    def summarize(self, status, headers, body):
        out = {"status": status, "body_empty": len(body) == 0}
        try:
            j = json.loads(body) if body else {}
        except ValueError:
            j = {}
        out["error"] = j.get("error")
        out["description"] = j.get("error_description")
        out["token_type"] = j.get("token_type")
        out["has_token"] = "access_token" in j
        out["has_refresh_token"] = "refresh_token" in j
        out["cache_control"] = headers.get("cache-control")
        out["retry_after"] = headers.get("retry-after")
        out["dpop_nonce"] = headers.get("dpop-nonce")
        out["www_authenticate"] = headers.get("www-authenticate")
        out["content_type"] = headers.get("content-type")
        if "access_token" in j:
            self.secret(j["access_token"])
            out["_token"] = j["access_token"]
        return out

    def proof(self, key, htm="POST", htu=None, iat=None, jti=None, ath=None, nonce=None, header=None, extra=None, signer=None, jwk=None):
        """A DPoP proof (RFC 9449 §4.2) by `key`, or by `signer` while its header shows `key`'s jwk."""
        h = header or {"typ": "dpop+jwt", "alg": key.alg, "jwk": jwk or key.public_jwk(alg=False, kid=False)}
        c = {"jti": jti or uuid.uuid4().hex, "htm": htm, "htu": htu or self.token_endpoint, "iat": int(time.time()) if iat is None else iat}
        if ath is not None:
            c["ath"] = ath
        if nonce is not None:
            c["nonce"] = nonce
        c.update(extra or {})
        p = jws(signer or key, h, c)
        self.secret(p)
        return p

    def introspect(self, token, resource=None, bearer=None, method="POST"):
        pairs = [("token", token)] + ([("resource", resource)] if resource else [])
        headers = [] if bearer == "" else [("Authorization", "Bearer " + (bearer or self.admin))]
        if method == "GET":
            return self.request("GET", "/oauth/introspect?" + urllib.parse.urlencode(pairs), None, headers)
        return self.form("/oauth/introspect", pairs, headers)

    def active(self, token, resource=None):
        status, _, body = self.introspect(token, resource)
        return status, json.loads(body).get("active") if status == 200 else None

    def verify(self, token, **extra):
        """POST /v1/keys/verify with the admin key → the JSON answer (status added)."""
        obj = {"key": token}
        obj.update(extra)
        status, _, body = self.admin_json("POST", "/v1/keys/verify", obj)
        body["status"] = status
        return body

    def save_state(self, state):
        fd = os.open(self.state_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)

    def load_state(self):
        with open(self.state_path) as f:
            return json.load(f)


def public(summary):
    """A summary without the token text, for stdout."""
    return {k: v for k, v in summary.items() if not k.startswith("_") and v is not None}
