"""Workload federation scenarios for oauth_driver.py: a workload issuer runs in this process on
loopback (its OpenID discovery document and JWKS over HTTP, tokens signed by keys made here), as a CI
provider or a Kubernetes API server would; Keyward clients trust it, and real clients
(requests-oauth2client's jwt_bearer grant) exchange its tokens for Keyward tokens."""
import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from oauth_clients import recording_session
from oauth_forge import ASSERTION_TYPE, Key, jws
from requests_oauth2client import OAuth2Client

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCE = "https://keyward.test/federation"
SUBJECT = "repo:acme/payments:ref:refs/heads/main"


class WorkloadIssuer:
    """An OIDC-style workload issuer on 127.0.0.1: GET /.well-known/openid-configuration and /jwks."""

    def __init__(self, kind="RSA"):
        self.key = Key(kind)
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.issuer, "jwks_uri": issuer.issuer + "/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": [issuer.key.public_jwk()]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovered_jwks(self):
        """The issuer's keys as a relying party finds them: discovery document, then jwks_uri."""
        with urllib.request.urlopen(self.issuer + "/.well-known/openid-configuration", timeout=10) as r:
            meta = json.load(r)
        with urllib.request.urlopen(meta["jwks_uri"], timeout=10) as r:
            return json.load(r)

    def token(self, signer=None, header=None, **overrides):
        """A workload token like a CI provider's OIDC token; an override of None removes the claim."""
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": SUBJECT, "aud": AUDIENCE, "exp": now + 300, "iat": now, "nbf": now,
                  "jti": uuid.uuid4().hex, "repository_owner": "acme", "ref": "refs/heads/main"}
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = signer or self.key
        return jws(key, header or {"alg": key.alg, "kid": self.key.kid, "typ": "JWT"}, claims)

    def close(self):
        self.server.shutdown()


def register_trust(ctx, trust, dpop=False, scope="payments:read"):
    """POST /v1/clients for a workload_federation client with `trust` (None: no workload_trust) → (status, body)."""
    obj = {"identity_id": ctx.identity, "token_endpoint_auth_method": "workload_federation", "scope": scope}
    if trust is not None:
        obj["workload_trust"] = trust
    if dpop:
        obj["dpop_bound_access_tokens"] = True
    status, _, body = ctx.admin_json("POST", "/v1/clients", obj)
    return status, body


def refused(status, body):
    return {"status": status, "detail": body.get("detail")}


def trust_client(ctx, issuer, subject=SUBJECT, claims=None, single_use=None, dpop=False, jwks=None, scope="payments:read"):
    """A workload_federation client trusting `issuer` (its keys from discovery unless `jwks`) → (status, body)."""
    trust = {"issuer": issuer.issuer, "jwks": jwks or issuer.discovered_jwks(), "subject": subject, "audience": AUDIENCE}
    if claims is not None:
        trust["claims"] = claims
    if single_use is not None:
        trust["single_use"] = single_use
    return register_trust(ctx, trust, dpop=dpop, scope=scope)


def grant(ctx, token, client_id=None, extra=()):
    """POST /oauth/token with the jwt-bearer grant (raw HTTP) → summary."""
    ctx.secret(token)
    pairs = [("grant_type", JWT_BEARER), ("assertion", token)] + ([("client_id", client_id)] if client_id else []) + list(extra)
    return ctx.summarize(*ctx.form("/oauth/token", pairs))


def s_federation(ctx):
    """A pipeline's OIDC token for a 5-minute Keyward token, and every way a trust refuses one."""
    issuer = WorkloadIssuer()
    try:
        status, body = trust_client(ctx, issuer, claims={"repository_owner": "acme"})
        assert status == 201, body
        cid = body["client_id"]
        out = {"registered": {"status": status, "method": body.get("token_endpoint_auth_method"),
                              "trust_subject": body.get("workload_trust", {}).get("subject"), "keys": len(body.get("keys", []))}}
        # The real client: requests-oauth2client's RFC 7523 §2.1 grant.
        log = []
        rp = OAuth2Client(token_endpoint=ctx.base + "/oauth/token", client_id=cid, testing=True, session=recording_session(ctx, log))
        first = issuer.token()
        ctx.secret(first)
        tok = rp.jwt_bearer(assertion=first, scope="payments:read")
        ctx.secret(str(tok.access_token))
        out["happy"] = {"status": log[-1]["status"], "token_type": tok.token_type, "expires_in": tok.expires_in, "scope": tok.scope}
        v = ctx.verify(str(tok.access_token), scopes=["payments:read"])
        out["verify"] = {"valid": v.get("valid"), "client_id": v.get("client_id"), "reason": v.get("reason")}
        out["replay"] = grant(ctx, first, cid)
        # Without client_id: the issuer and subject find the one client.
        out["no_client_id"] = grant(ctx, issuer.token())
        # As a client assertion of client_credentials (RFC 7523 §2.2).
        second = issuer.token()
        ctx.secret(second)
        out["as_client_assertion"] = ctx.summarize(*ctx.form("/oauth/token", [
            ("grant_type", "client_credentials"), ("client_assertion_type", ASSERTION_TYPE), ("client_assertion", second)]))
        out["wider_scope"] = grant(ctx, issuer.token(), cid, extra=[("scope", "payments:admin")])
        out["other_subject"] = grant(ctx, issuer.token(sub="repo:acme/payments:ref:refs/heads/feature"))
        out["other_subject_named"] = grant(ctx, issuer.token(sub="repo:acme/payments:pull_request"), cid)
        out["other_audience"] = grant(ctx, issuer.token(aud="https://other.example"), cid)
        out["audience_list"] = grant(ctx, issuer.token(aud=["https://other.example", AUDIENCE]), cid)
        out["claim_differs"] = grant(ctx, issuer.token(repository_owner="evil"), cid)
        out["claim_missing"] = grant(ctx, issuer.token(repository_owner=None), cid)
        out["expired"] = grant(ctx, issuer.token(exp=int(time.time()) - 600), cid)
        out["too_long"] = grant(ctx, issuer.token(exp=int(time.time()) + 86400), cid)
        out["future_iat"] = grant(ctx, issuer.token(iat=int(time.time()) + 3600), cid)
        out["other_key"] = grant(ctx, issuer.token(signer=Key("RSA")), cid)
        out["alg_none"] = grant(ctx, jws(issuer.key, {"alg": "none", "kid": issuer.key.kid}, {"iss": issuer.issuer, "sub": SUBJECT,
                                        "aud": AUDIENCE, "exp": int(time.time()) + 60}, signature=b""), cid)
        out["jku_header"] = grant(ctx, issuer.token(header={"alg": "RS256", "kid": issuer.key.kid, "jku": issuer.issuer + "/jwks"}), cid)
        out["typ_at_jwt"] = grant(ctx, issuer.token(header={"alg": "RS256", "kid": issuer.key.kid, "typ": "at+jwt"}), cid)
        out["unknown_issuer"] = grant(ctx, issuer.token(iss="https://ci.example"))
        out["garbage"] = grant(ctx, "not-a-jwt")
        out["with_basic"] = ctx.summarize(*ctx.form("/oauth/token", [("grant_type", JWT_BEARER), ("assertion", issuer.token())],
                                                    [("Authorization", "Basic Y2xpOnNlY3JldA==")]))
        out["no_assertion"] = ctx.summarize(*ctx.form("/oauth/token", [("grant_type", JWT_BEARER)]))
        # A private_key_jwt assertion cannot log in a federated client (it holds no key of its own).
        k = Key()
        out["pkjwt_for_federated"] = ctx.token(jws(k, {"alg": "ES256", "kid": k.kid}, ctx.claims(cid)), extra=[("client_id", cid)])
        # A second client trusting the same workload: the grant must name one.
        status2, body2 = trust_client(ctx, issuer, claims={"repository_owner": "acme"})
        cid2 = body2["client_id"]
        out["ambiguous"] = grant(ctx, issuer.token())
        out["named_second"] = grant(ctx, issuer.token(), cid2)
        # Revoking the client: its tokens die and its trust no longer answers.
        ctx.admin_json("POST", "/v1/clients/%s/revoke" % cid, {"reason": "test"})
        v = ctx.verify(str(tok.access_token))
        out["after_revoke_verify"] = {"valid": v.get("valid"), "reason": v.get("reason")}
        out["after_revoke_grant"] = grant(ctx, issuer.token(), cid)
        return out
    finally:
        issuer.close()


def s_federation_options(ctx):
    """Reusable trusts, DPoP-bound federated tokens, tokens without jti, and refused registrations."""
    issuer = WorkloadIssuer(kind="EC")
    try:
        out = {}
        status, body = trust_client(ctx, issuer, single_use=False, subject="system:serviceaccount:payments:api")
        cid = body["client_id"]
        same = issuer.token(sub="system:serviceaccount:payments:api", jti=None)
        out["reusable_first"] = grant(ctx, same, cid)
        out["reusable_again"] = grant(ctx, same, cid)
        status, body = trust_client(ctx, issuer, subject="spiffe://acme.test/ns/payments/sa/worker")
        cid_once = body["client_id"]
        no_jti = issuer.token(sub="spiffe://acme.test/ns/payments/sa/worker", jti=None)
        out["digest_first"] = grant(ctx, no_jti, cid_once)
        out["digest_again"] = grant(ctx, no_jti, cid_once)
        status, body = trust_client(ctx, issuer, subject="repo:acme/payments:environment:prod", dpop=True)
        cid_dpop = body["client_id"]
        log = []
        rp = OAuth2Client(token_endpoint=ctx.base + "/oauth/token", client_id=cid_dpop, testing=True, session=recording_session(ctx, log))
        t = issuer.token(sub="repo:acme/payments:environment:prod")
        ctx.secret(t)
        tok = rp.jwt_bearer(assertion=t, dpop=True)
        ctx.secret(str(tok.access_token))
        out["dpop"] = {"status": log[-1]["status"], "token_type": tok.token_type}
        out["dpop_missing"] = grant(ctx, issuer.token(sub="repo:acme/payments:environment:prod"), cid_dpop)
        # Registrations a trust refuses.
        for name, kw in (("wildcard_subject", {"subject": "repo:acme/*"}), ("question_subject", {"subject": "repo:acme/pay?ents"}),
                         ("empty_subject", {"subject": ""})):
            out[name] = refused(*trust_client(ctx, issuer, **kw))
        for name, change in (("no_audience", {"audience": ""}), ("http_issuer", {"issuer": "http://ci.example"}),
                             ("reserved_claim", {"claims": {"sub": "x"}}),
                             ("private_key", {"jwks": {"keys": [Key().private_jwk()]}}),
                             ("no_jwks", {"jwks": None})):
            trust = {"issuer": issuer.issuer, "jwks": issuer.discovered_jwks(), "subject": SUBJECT, "audience": AUDIENCE}
            trust.update(change)
            trust = {k: v for k, v in trust.items() if v is not None}
            out[name] = refused(*register_trust(ctx, trust))
        out["no_trust"] = refused(*register_trust(ctx, None))
        s, _, b = ctx.admin_json("POST", "/v1/clients", {"identity_id": ctx.identity, "token_endpoint_auth_method": "private_key_jwt",
                                                         "scope": "payments:read", "jwks": {"keys": [Key().public_jwk()]},
                                                         "workload_trust": {"issuer": issuer.issuer, "subject": SUBJECT, "audience": AUDIENCE}})
        out["trust_on_pkjwt"] = refused(s, b)
        return out
    finally:
        issuer.close()


def s_federation_jwks_uri(ctx):
    """A trust that follows the issuer's jwks_uri: a rotated issuer key is fetched when a token names it."""
    issuer = WorkloadIssuer(kind="EC")
    try:
        out = {}
        trust = {"issuer": issuer.issuer, "jwks_uri": issuer.issuer + "/jwks", "subject": SUBJECT, "audience": AUDIENCE}
        status, body = register_trust(ctx, trust)
        out["registered"] = {"status": status, "jwks_uri": body.get("workload_trust", {}).get("jwks_uri"), "keys": len(body.get("keys", []))}
        cid = body.get("client_id")
        out["first"] = grant(ctx, issuer.token(), cid)
        old = issuer.key
        issuer.key = Key("EC")
        out["rotated"] = grant(ctx, issuer.token(), cid)
        out["old_key"] = grant(ctx, issuer.token(signer=old, header={"alg": "ES256", "kid": old.kid}), cid)
        out["off_allow_list"] = refused(*register_trust(ctx, dict(trust, jwks_uri="https://jwks.not-allowed.example/jwks")))
        out["both"] = refused(*register_trust(ctx, dict(trust, jwks=issuer.discovered_jwks())))
        return out
    finally:
        issuer.close()


SCENARIOS = {"federation": s_federation, "federation-options": s_federation_options, "federation-jwks-uri": s_federation_jwks_uri}
