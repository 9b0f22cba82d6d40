"""Scenarios of oauth_driver.py beyond the client assertion: registration (19, 24, 42), DPoP (29–37),
the token endpoint (38–41), introspection (43–45), revocation (46–49) and the cascade (50)."""
import json
import os
import sqlite3
import time
import uuid

from requests_oauth2client import DPoPKey

from oauth_clients import happy, recording_session, rp_client
from oauth_forge import Key, jws, sha256_b64u

RS_URL = "https://rs.example/payments/charges"


def s_registration(ctx):
    """Cases 19, 24, 42: weak, alg-less and private JWKs; both subject_dn and san_dns; client_id chosen by the caller."""
    def reg(jwks=None, **extra):
        obj = {"identity_id": ctx.identity, "token_endpoint_auth_method": "private_key_jwt", "scope": "payments:read"}
        if jwks is not None:
            obj["jwks"] = {"keys": jwks}
        obj.update(extra)
        status, headers, body = ctx.admin_json("POST", "/v1/clients", obj)
        return {"status": status, "content_type": headers.get("content-type"), "type": body.get("type"), "detail": body.get("detail")}

    ec, weak = Key(), Key("RSA", bits=1024)
    private = ec.private_jwk()
    ctx.secret(private["d"])
    out = {
        "rsa_1024": reg([weak.public_jwk()]),
        "no_alg": reg([ec.public_jwk(alg=False)]),
        "private_d": reg([private]),
        "oct": reg([{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0", "alg": "HS256"}]),
        "both_dn_and_san": reg(token_endpoint_auth_method="tls_client_auth", tls_client_auth_subject_dn="CN=payments,O=Example",
                               tls_client_auth_san_dns="payments.example"),
        "client_id_human": reg([Key().public_jwk()], client_id="alice@example.com"),
        "client_id_reserved": reg([Key().public_jwk()], client_id="admin"),
        "client_secret": reg([Key().public_jwk()], client_secret="s3cr3t-s3cr3t-s3cr3t"),
        "control": reg([Key().public_jwk()]),
    }
    # Case 42: the token marks its subject as a client: sub is the cli_ id, equal to client_id.
    key = Key()
    cid = ctx.register([key])
    _, tok = happy(ctx, key, cid)
    status, _, body = ctx.introspect(tok.access_token)
    claims = json.loads(body)
    out["token_subject"] = {"status": status, "sub_is_client": claims.get("sub") == cid == claims.get("client_id"),
                            "sub_prefix": (claims.get("sub") or "")[:4]}
    return out


def s_dpop_token(ctx):
    """Cases 29–33, 37 and 40 at the token endpoint."""
    key, dkey, other = Key(), Key(), Key()
    cid = ctx.register([key])
    bound_key = Key()
    bound = ctx.register([bound_key], dpop=True)
    t = lambda proofs, k=key, c=cid: ctx.token(ctx.assertion(k, c), headers=[("DPoP", p) for p in proofs])
    ep = ctx.token_endpoint
    hp, pp, sp = ep.split("/oauth/")[0], "/oauth/token", ep.split("://")[0]
    out = {
        "two_headers": t([ctx.proof(dkey), ctx.proof(dkey)]),
        "typ_jwt": t([ctx.proof(dkey, header={"typ": "JWT", "alg": "ES256", "jwk": dkey.public_jwk(alg=False, kid=False)})]),
        "alg_hs256": t([jws(dkey, {"typ": "dpop+jwt", "alg": "HS256", "jwk": dkey.public_jwk(alg=False, kid=False)},
                            {"jti": uuid.uuid4().hex, "htm": "POST", "htu": ep, "iat": int(time.time())}, signature=bytes(32))]),
        "alg_none": t([jws(dkey, {"typ": "dpop+jwt", "alg": "none", "jwk": dkey.public_jwk(alg=False, kid=False)},
                           {"jti": uuid.uuid4().hex, "htm": "POST", "htu": ep, "iat": int(time.time())}, signature=b"")]),
        "jwk_private": t([ctx.proof(dkey, jwk=dict(dkey.public_jwk(alg=False, kid=False), d=dkey.private_jwk()["d"]))]),
        "other_signer": t([ctx.proof(dkey, signer=other)]),
        "htm_get": t([ctx.proof(dkey, htm="GET")]),
        "htu_other_host": t([ctx.proof(dkey, htu="http://attacker.example" + pp)]),
        "htu_other_path": t([ctx.proof(dkey, htu=hp + "/oauth/introspect")]),
        "iat_hour_ahead": t([ctx.proof(dkey, iat=int(time.time()) + 3600)]),
        "iat_hour_ago": t([ctx.proof(dkey, iat=int(time.time()) - 3600)]),
        # Case 32's positive controls for an http issuer (query and fragment, upper-case scheme and host).
        "htu_query_fragment": t([ctx.proof(dkey, htu=ep + "?q=1#f")]),
        "htu_upper": t([ctx.proof(dkey, htu=sp.upper() + "://" + hp.split("://")[1].upper() + pp)]),
        "no_proof": t([]),
        # Case 37: the DPoP-bound client without a proof, then with one.
        "bound_without_proof": ctx.token(ctx.assertion(bound_key, bound)),
    }
    out["bound_with_proof"] = ctx.token(ctx.assertion(bound_key, bound), headers=[("DPoP", ctx.proof(dkey))])
    status, _, body = ctx.introspect(out["bound_with_proof"]["_token"])
    cnf = json.loads(body).get("cnf") or {}
    # cnf.jkt is the proof key's RFC 7638 thumbprint as joserfc computes it.
    out["bound_cnf"] = {"status": status, "jkt_matches": cnf.get("jkt") == dkey.thumbprint(), "token_type": json.loads(body).get("token_type")}
    # Case 33: the same proof twice (each time with a fresh assertion).
    replayed = ctx.proof(dkey)
    out["proof_first"] = t([replayed])
    out["proof_again"] = t([replayed])
    return out


def s_dpop_issuer(ctx):
    """Case 32 with an https issuer configured: htu compared with the issuer's URL, never the Host header."""
    key, dkey = Key(), Key()
    cid = ctx.register([key])
    ep = ctx.token_endpoint  # https://keyward.example/oauth/token
    host = ep.split("://")[1].split("/")[0]
    t = lambda htu: ctx.token(ctx.assertion(key, cid), headers=[("DPoP", ctx.proof(dkey, htu=htu))])
    return {
        "issuer": {"https": ep.startswith("https://")},
        "exact": t(ep),
        "explicit_443": t("https://" + host + ":443/oauth/token"),
        "upper": t("HTTPS://" + host.upper() + "/oauth/token"),
        "query_fragment": t(ep + "?q=1#frag"),
        "dot_segment": t("https://" + host + "/oauth/./token"),
        "host_header": t(ctx.base + "/oauth/token"),
        "http_scheme": t("http://" + host + "/oauth/token"),
        "other_port": t("https://" + host + ":8443/oauth/token"),
    }


def s_dpop_nonce(ctx):
    """Case 34 with nonces required: no nonce and a stale one get 400 use_dpop_nonce + DPoP-Nonce; the
    client (requests-oauth2client) retries with the nonce and gets a DPoP token."""
    key, dkey = Key(), Key()
    cid = ctx.register([key])
    out = {"no_nonce": ctx.token(ctx.assertion(key, cid), headers=[("DPoP", ctx.proof(dkey))]),
           "stale_nonce": ctx.token(ctx.assertion(key, cid), headers=[("DPoP", ctx.proof(dkey, nonce=os.environ["KEYWARD_STALE_NONCE"]))]),
           "forged_nonce": ctx.token(ctx.assertion(key, cid), headers=[("DPoP", ctx.proof(dkey, nonce=str(int(time.time()) // 300) + ".00"))])}
    log = []
    client = rp_client(ctx, key, cid, recording_session(ctx, log))
    tok = client.client_credentials(scope="payments:read", dpop=True)
    out["client"] = {"answers": [[e["status"], e["error"], e["dpop_nonce"] is not None, e["sent_nonce"]] for e in log],
                     "token_type": tok.token_type}
    # The resource-server half: verify asks for a nonce the same way, and accepts the proof that carries it.
    at, dk = tok.access_token, tok.dpop_key
    ath = sha256_b64u(at)
    first = ctx.verify(at, dpop=str(dk.proof(htm="GET", htu=RS_URL, ath=ath)), htm="GET", htu=RS_URL)
    nonce = first.get("dpop_nonce")
    second = ctx.verify(at, dpop=str(dk.proof(htm="GET", htu=RS_URL, ath=ath, nonce=nonce)), htm="GET", htu=RS_URL) if nonce else {}
    out["rs"] = {"first_reason": first.get("reason"), "has_nonce": nonce is not None, "second_valid": second.get("valid")}
    return out


def s_dpop_verify(ctx):
    """Cases 33, 35, 36 at /v1/keys/verify (the resource server passes the proof, method and its URL)."""
    key = Key()
    cid = ctx.register([key])
    _, tok = happy(ctx, key, cid, dpop=True)
    at, dk = tok.access_token, tok.dpop_key
    ath = sha256_b64u(at)
    proof = lambda **kw: _rs_proof(ctx, dk, **kw)
    v = lambda p, **kw: ctx.verify(at, **dict({"dpop": p, "htm": "GET", "htu": RS_URL}, **kw))
    good = proof(ath=ath)
    out = {
        "token_type": tok.token_type,
        "valid": v(good),
        "same_proof_again": v(good),
        "bearer": ctx.verify(at),
        "ath_missing": v(proof()),
        "ath_wrong": v(proof(ath=sha256_b64u("another token"))),
        "other_key": v(_rs_proof(ctx, DPoPKey.generate(), ath=ath)),
        "htm_mismatch": v(proof(ath=ath), htm="POST"),
        "htu_mismatch": v(proof(ath=ath), htu="https://rs.example/other"),
        "htu_normalised": v(proof(ath=ath), htu="HTTPS://RS.EXAMPLE:443/payments/charges?x=1"),
        "iat_hour_ago": v(proof(ath=ath, iat=int(time.time()) - 3600)),
    }
    status, _, body = ctx.introspect(at)
    out["introspection"] = {"status": status, "token_type": json.loads(body).get("token_type"),
                            "jkt_matches": json.loads(body).get("cnf", {}).get("jkt") == dk.dpop_jkt}
    return out


def _rs_proof(ctx, dpop_key, ath=None, iat=None):
    """A proof for a request to the resource server, made by requests-oauth2client's DPoPKey."""
    if iat is None:
        p = str(dpop_key.proof(htm="GET", htu=RS_URL, ath=ath))
    else:
        # DPoPKey stamps iat itself; for a stale proof sign the same claims with its private key.
        from jwskate import Jwt
        claims = {"jti": uuid.uuid4().hex, "htm": "GET", "htu": RS_URL, "iat": iat, "ath": ath}
        p = str(Jwt.sign(claims, key=dpop_key.private_key, alg=dpop_key.alg,
                         extra_headers={"typ": "dpop+jwt", "jwk": dpop_key.private_key.public_jwk().minimize()}))
    ctx.secret(p)
    return p


def s_endpoint(ctx):
    """Cases 38–41: grant_type twice, GET, password; a wider scope; the success response; audiences."""
    key = Key()
    cid = ctx.register([key], scope="payments:read")
    a = lambda: ctx.assertion(key, cid)
    pairs = [("grant_type", "client_credentials"), ("grant_type", "client_credentials"),
             ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", a())]
    out = {"grant_twice": ctx.summarize(*ctx.form("/oauth/token", pairs)),
           "get": ctx.summarize(*ctx.request("GET", "/oauth/token")),
           "password": ctx.token(a(), grant="password"),
           "scope_wider": ctx.token(a(), extra=[("scope", "payments:read payments:write")]),
           "scope_other": ctx.token(a(), extra=[("scope", "keyward:admin")]),
           "scope_own": ctx.token(a(), extra=[("scope", "payments:read")])}
    ok = ctx.token(a())
    out["success"] = ok
    tok = ok.get("_token")
    out["verify_default_audience"] = ctx.verify(tok)
    out["verify_other_audience"] = ctx.verify(tok, audience="https://other-rs.example")
    out["introspect_other_resource"] = {"active": ctx.active(tok, resource="https://other-rs.example")[1]}
    return out


def s_introspection(ctx):
    """Cases 43–45 (and 44's first three tokens; the expired one after the test moves the clock)."""
    key = Key()
    cid = ctx.register([key])
    live, revoked, later = (ctx.token(ctx.assertion(key, cid))["_token"] for _ in range(3))
    verify_key = _verify_key(ctx)
    read_key = _key(ctx, ["payments:read"])
    keyward_read_key = _key(ctx, ["keyward:read"], identity="idn_" + "0" * 32)
    out = {"live": _raw(ctx.introspect(live)), "live_with_verify_key": _raw(ctx.introspect(live, bearer=verify_key))}
    ctx.form("/oauth/revoke", [("token", revoked)], [("Authorization", "Bearer " + ctx.admin)])
    unknown = jws(Key(), {"typ": "at+jwt", "alg": "ES256", "kid": "sk_unknown"}, {"iss": ctx.issuer, "sub": cid, "client_id": cid,
                  "aud": ctx.issuer, "scope": "payments:read", "iat": int(time.time()), "exp": int(time.time()) + 300, "jti": "atk_x"})
    ctx.secret(unknown)
    out.update({"revoked": _raw(ctx.introspect(revoked)), "unknown": _raw(ctx.introspect(unknown)),
                "garbage": _raw(ctx.introspect("not-a-token")),
                "other_audience": _raw(ctx.introspect(live, resource="https://other-rs.example")),
                "no_credentials": _raw(ctx.introspect(live, bearer="")),
                "service_key": _raw(ctx.introspect(live, bearer=read_key)),
                "without_verify_scope": _raw(ctx.introspect(live, bearer=keyward_read_key)),
                "get": _raw(ctx.introspect(live, method="GET"))})
    ctx.save_state({"later": later})
    return out


def s_introspection_expired(ctx):
    """Case 44's fourth token, after the test moved the server's clock past its expiry."""
    later = ctx.load_state()["later"]
    return {"expired": _raw(ctx.introspect(later)), "verify": ctx.verify(later)}


def _raw(answer):
    status, headers, body = answer
    return {"status": status, "body": body.decode(), "cache_control": headers.get("cache-control")}


def _key(ctx, scopes, identity=None):
    status, _, body = ctx.admin_json("POST", "/v1/keys", {"identity_id": identity or ctx.identity, "scopes": scopes, "environment": "live"})
    if status != 201:
        raise RuntimeError("issue key: %d %s" % (status, body))
    ctx.secret(body["key"])
    return body["key"]


def _verify_key(ctx):
    """A resource server's key: keyward:verify on Keyward's own identity."""
    return _key(ctx, ["keyward:verify"], identity="idn_" + "0" * 32)


def s_revocation(ctx):
    """Cases 46–48 through requests-oauth2client's revocation calls (private_key_jwt at the revocation endpoint)."""
    key_a, key_b = Key(), Key()
    a, b = ctx.register([key_a]), ctx.register([key_b])
    log_a, log_b = [], []
    client_a = rp_client(ctx, key_a, a, recording_session(ctx, log_a))
    client_b = rp_client(ctx, key_b, b, recording_session(ctx, log_b))
    tok1, tok2 = client_a.client_credentials(scope="payments:read"), client_a.client_credentials(scope="payments:read")
    out = {}
    # Case 46: garbage → 200, empty body (checked on the raw answer, with a forged assertion by the same key).
    st, hd, body = ctx.form("/oauth/revoke", [("token", "garbage-" + uuid.uuid4().hex), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                                              ("client_assertion", ctx.assertion(key_a, a, aud=ctx.revocation_endpoint))])
    out["garbage"] = {"status": st, "body_empty": len(body) == 0}
    out["garbage_library"] = client_a.revoke_access_token("garbage-" + uuid.uuid4().hex)
    # Case 47: B revokes A's token: answered like a success, and A's token stays active.
    out["b_revokes_a"] = {"returned": client_b.revoke_access_token(tok1.access_token), "status": log_b[-1]["status"],
                          "a_active": ctx.active(tok1.access_token)[1]}
    # Case 48: a wrong token_type_hint.
    out["wrong_hint"] = {"returned": client_a.revoke_token(tok2.access_token, token_type_hint="refresh_token"),
                         "status": log_a[-1]["status"], "active": ctx.active(tok2.access_token)[1],
                         "verify": ctx.verify(tok2.access_token).get("reason")}
    out["own"] = {"returned": client_a.revoke_access_token(tok1.access_token), "active": ctx.active(tok1.access_token)[1]}
    return out


def s_store_fault(ctx):
    """Case 49: the SQLite write lock held by this (another) process: token and revocation answer 503 +
    Retry-After and change nothing; once it is let go, a retry revokes, and a second retry is a no-op."""
    key = Key()
    cid = ctx.register([key])
    tok = ctx.token(ctx.assertion(key, cid))["_token"]
    revoke = lambda: ctx.summarize(*ctx.form("/oauth/revoke", [
        ("token", tok), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", ctx.assertion(key, cid, aud=ctx.revocation_endpoint))]))
    db = sqlite3.connect(os.environ["KEYWARD_DB"], isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    out = {"revoke_locked": revoke(), "token_locked": ctx.token(ctx.assertion(key, cid)),
           "admin_revoke_locked": ctx.summarize(*ctx.form("/oauth/revoke", [("token", tok)], [("Authorization", "Bearer " + ctx.admin)]))}
    out["active_while_locked"] = ctx.active(tok)[1]
    db.execute("ROLLBACK")
    db.close()
    out["revoke_retry"] = revoke()
    out["active_after"] = ctx.active(tok)[1]
    out["revoke_again"] = revoke()
    out["verify_after"] = ctx.verify(tok).get("reason")
    return out


def s_cascade(ctx):
    """Case 50: N live tokens, then the client is revoked: all introspect inactive, verify says revoked."""
    n = 5
    key = Key()
    cid = ctx.register([key])
    client = rp_client(ctx, key, cid)
    tokens = [client.client_credentials(scope="payments:read").access_token for _ in range(n)]
    before = [ctx.verify(t).get("valid") for t in tokens]
    status, _, body = ctx.admin_json("POST", "/v1/clients/%s/revoke" % cid, {"reason": "case 50"})
    return {"n": n, "valid_before": before, "revoke_status": status, "tokens_revoked": body.get("tokens_revoked"),
            "active_after": [ctx.active(t)[1] for t in tokens], "verify_after": [ctx.verify(t).get("reason") for t in tokens],
            "new_token": ctx.token(ctx.assertion(key, cid))}


SCENARIOS = {"registration": s_registration, "dpop-token": s_dpop_token, "dpop-issuer": s_dpop_issuer, "dpop-nonce": s_dpop_nonce,
             "dpop-verify": s_dpop_verify, "endpoint": s_endpoint, "introspection": s_introspection,
             "introspection-expired": s_introspection_expired, "revocation": s_revocation, "store-fault": s_store_fault,
             "cascade": s_cascade}
