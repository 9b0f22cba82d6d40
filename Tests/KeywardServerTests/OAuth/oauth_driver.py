#!/usr/bin/env python3
"""Drives Keyward's OAuth endpoints as real clients do, for the security-case tests (cases 1–18 here,
the rest in oauth_scenarios.py). Usage: oauth_driver.py SCENARIO, with KEYWARD_URL, KEYWARD_ADMIN_KEY,
KEYWARD_IDENTITY and KEYWARD_LEDGER in the environment. Prints one JSON line: statuses, error codes
and header values per sub-case; never a token, assertion or proof (those go to the ledger file).

Happy paths use requests-oauth2client (PrivateKeyJwt, DPoP); malformed assertions and proofs are
forged with cryptography (oauth_forge.py), thumbprints cross-checked with joserfc.
"""
import hashlib
import hmac
import json
import math
import sys
import time
import uuid

from oauth_clients import happy
from oauth_forge import Context, Key, b64u, jws, malleate, public


def s_signature(ctx):
    """Cases 1, 2 and 17: alg none, empty signatures, HMAC with the public key, bad signature encodings."""
    ec_key, rsa_key = Key("EC"), Key("RSA")
    ec_id, rsa_id = ctx.register([ec_key]), ctx.register([rsa_key])
    out = {"control_ec": happy(ctx, ec_key, ec_id)[0], "control_rsa": happy(ctx, rsa_key, rsa_id)[0]}
    c = ctx.claims(ec_id)
    out["none"] = ctx.token(jws(ec_key, {"alg": "none"}, c, signature=b""))
    out["none_kid"] = ctx.token(jws(ec_key, {"alg": "none", "kid": ec_key.kid}, ctx.claims(ec_id), signature=b""))
    out["es256_empty_sig"] = ctx.token(jws(ec_key, {"alg": "ES256", "kid": ec_key.kid}, ctx.claims(ec_id), signature=b""))
    # Case 2: the RS256 client's public key as an HMAC secret, as PEM, DER and JWK bytes.
    for name, secret in (("pem", rsa_key.public_pem()), ("der", rsa_key.public_der()),
                         ("jwk", json.dumps(rsa_key.public_jwk(), separators=(",", ":")).encode())):
        header, claims = {"alg": "HS256", "kid": rsa_key.kid}, ctx.claims(rsa_id)
        signing_input = (b64u(json.dumps(header).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        out["hs256_" + name] = ctx.token(jws(rsa_key, header, claims, signature=mac))
    # Case 17: zeros, DER, padding, whitespace.
    out["zeros"] = ctx.token(jws(ec_key, {"alg": "ES256", "kid": ec_key.kid}, ctx.claims(ec_id), signature=bytes(64)))
    # With the form's client_id the failure is audited against that client.
    out["zeros_client_id"] = ctx.token(jws(ec_key, {"alg": "ES256", "kid": ec_key.kid}, ctx.claims(ec_id), signature=bytes(64)),
                                       extra=[("client_id", ec_id)])
    out["der"] = ctx.token(jws(ec_key, {"alg": "ES256", "kid": ec_key.kid}, ctx.claims(ec_id), der=True))
    good = ctx.assertion(ec_key, ec_id)
    out["padded"] = ctx.token(good + "==")
    head, payload, sig = good.split(".")
    out["whitespace"] = ctx.token(head + "." + payload[:10] + " " + payload[10:] + "." + sig)
    out["newline"] = ctx.token(head + ".\n" + payload + "." + sig)
    out["client_id"] = ec_id
    return out


def s_audience(ctx):
    """Cases 3 and 4: aud of another AS or tenant; aud lists, [] and null — one answer for every shape."""
    key = Key()
    cid = ctx.register([key])
    out = {}
    for name, aud in (("other_as", "https://other-as.example/oauth/token"),
                      ("other_tenant", ctx.issuer + "/tenants/other/oauth/token"),
                      ("issuer_with_attacker", [ctx.token_endpoint, "https://attacker.example"]),
                      ("attacker_with_issuer", ["https://attacker.example", ctx.issuer]),
                      ("empty_list", []), ("null", "__null__"), ("number", 1)):
        claims = ctx.claims(cid, aud=aud)
        if aud == "__null__":
            claims["aud"] = None
        out[name] = ctx.token(jws(key, {"alg": "ES256", "kid": key.kid}, claims))
    # Positive controls: the issuer identifier, and the endpoint as a one-element list.
    out["issuer"] = ctx.token(ctx.assertion(key, cid, aud=ctx.issuer))
    out["endpoint_list"] = ctx.token(ctx.assertion(key, cid, aud=[ctx.token_endpoint]))
    return out


def s_times(ctx):
    """Cases 5 and 6: exp missing, 61 s past, a year ahead; iat/nbf +10 s accepted, +61 s refused."""
    key = Key()
    cid = ctx.register([key])
    now = int(time.time())

    def ahead61():
        # Read just before its request and rounded up: never less than 61 s ahead of the server's clock
        # when the request leaves (a value read before the other requests would shrink as they run).
        return math.ceil(time.time()) + 61
    return {
        "exp_missing": ctx.token(ctx.assertion(key, cid, exp=None)),
        "exp_61_past": ctx.token(ctx.assertion(key, cid, exp=int(time.time()) - 61, iat=now - 120)),
        "exp_year": ctx.token(ctx.assertion(key, cid, exp=now + 365 * 86400)),
        "exp_string": ctx.token(ctx.assertion(key, cid, exp=str(now + 60))),
        "iat_plus10": ctx.token(ctx.assertion(key, cid, iat=now + 10)),
        "nbf_plus10": ctx.token(ctx.assertion(key, cid, nbf=now + 10)),
        "iat_plus61": ctx.token(ctx.assertion(key, cid, iat=(t := ahead61()), exp=t + 60)),
        "nbf_plus61": ctx.token(ctx.assertion(key, cid, nbf=(t := ahead61()), exp=t + 60)),
    }


def s_replay(ctx):
    """Case 7: the same assertion twice, and a copy with its ECDSA signature malleated to (r, n - s)."""
    key = Key()
    cid = ctx.register([key])
    first = ctx.assertion(key, cid)
    out = {"first": ctx.token(first), "again": ctx.token(first), "malleated": ctx.token(malleate(first))}
    # The malleated copy of a fresh assertion, sent first: its signature is valid, so it may be used once.
    fresh = ctx.assertion(key, cid)
    out["malleated_first"] = ctx.token(malleate(fresh))
    out["original_after_malleated"] = ctx.token(fresh)
    return out


def s_jti_subject(ctx):
    """Cases 8 and 9: jti missing or 10 KiB; iss≠sub, sub another client, form client_id≠sub."""
    key, other_key = Key(), Key()
    cid, other = ctx.register([key]), ctx.register([other_key])
    long_jti = uuid.uuid4().hex * 320  # 10 KiB
    ctx.secret(long_jti)
    return {
        "jti_missing": ctx.token(ctx.assertion(key, cid, jti=None)),
        "jti_10k": ctx.token(ctx.assertion(key, cid, jti=long_jti)),
        "jti_number": ctx.token(ctx.assertion(key, cid, jti=12345)),
        "iss_ne_sub": ctx.token(ctx.assertion(key, cid, iss=other)),
        "sub_other_client": ctx.token(ctx.assertion(key, cid, iss=other, sub=other)),
        "sub_unknown": ctx.token(ctx.assertion(key, cid, iss="cli_" + "0" * 26, sub="cli_" + "0" * 26)),
        "form_client_id": ctx.token(ctx.assertion(key, cid), extra=[("client_id", other)]),
        "form_client_id_same": ctx.token(ctx.assertion(key, cid), extra=[("client_id", cid)]),
    }


def s_shape(ctx):
    """Cases 10, 11, 14, 15, 16: two auth methods, two JWTs, wrong type, crit, duplicates, other JWT kinds."""
    key = Key()
    cid = ctx.register([key])
    basic = [("Authorization", "Basic Y2xpZW50OnNlY3JldA==")]
    a, b = ctx.assertion(key, cid), ctx.assertion(key, cid)
    out = {
        "basic_and_assertion": ctx.token(ctx.assertion(key, cid), headers=basic),
        "two_jwts_space": ctx.token(a + " " + b),
        "two_jwts_comma": ctx.token(a + "," + b),
        "two_jwts_joined": ctx.token(a + b),
        "wrong_type": ctx.token(ctx.assertion(key, cid), assertion_type="urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
        "crit_ext": ctx.token(ctx.assertion(key, cid, header={"alg": "ES256", "kid": key.kid, "crit": ["ext"], "ext": 1})),
        "crit_empty": ctx.token(ctx.assertion(key, cid, header={"alg": "ES256", "kid": key.kid, "crit": []})),
    }
    pairs = [("grant_type", "client_credentials"), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
             ("client_assertion", a), ("client_assertion", b)]
    out["two_params"] = ctx.summarize(*ctx.form("/oauth/token", pairs))
    # Case 15: duplicate members; a last-wins (or first-wins) parser would accept one of these.
    claims = ctx.claims(cid)
    body = json.dumps(claims, separators=(",", ":"))
    dup_sub_last = body[:-1] + ',"sub":"%s"}' % cid
    dup_sub_first = '{"sub":"cli_%s",' % ("1" * 26) + body[1:]
    out["dup_sub_same"] = ctx.token(jws(key, {"alg": "ES256", "kid": key.kid}, dup_sub_last))
    out["dup_sub_other_first"] = ctx.token(jws(key, {"alg": "ES256", "kid": key.kid}, dup_sub_first))
    out["dup_alg"] = ctx.token(jws(key, '{"alg":"HS256","kid":"%s","alg":"ES256"}' % key.kid, ctx.claims(cid)))
    out["dup_alg_same"] = ctx.token(jws(key, '{"alg":"ES256","kid":"%s","alg":"ES256"}' % key.kid, ctx.claims(cid)))
    # Case 16: Keyward's own access token, and a DPoP proof made by the client's key with assertion claims.
    _, tok = happy(ctx, key, cid)
    out["access_token"] = ctx.token(tok.access_token)
    proof_like = jws(key, {"typ": "dpop+jwt", "alg": "ES256", "kid": key.kid}, ctx.claims(cid, htm="POST", htu=ctx.token_endpoint))
    out["dpop_proof_typed"] = ctx.token(proof_like)
    out["dpop_proof"] = ctx.token(ctx.proof(key))
    out["at_jwt_typed"] = ctx.token(ctx.assertion(key, cid, header={"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}))
    return out


def s_keys(ctx):
    """Cases 12 and 13: kid unknown, a path, SQL; jku/x5u at a listener the test watches; embedded jwk."""
    key, attacker = Key(), Key()
    cid = ctx.register([key])
    listener = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9/"
    out = {}
    # Signed by the registered key: only the kid is wrong, so accepting it would be a fallback.
    for name, kid in (("kid_unknown", "k-unknown"), ("kid_path", "../../dev/null"), ("kid_sql", "' OR 1=1--"), ("kid_number", 7)):
        out[name] = ctx.token(ctx.assertion(key, cid, header={"alg": "ES256", "kid": kid}))
    out["no_kid"] = ctx.token(ctx.assertion(key, cid, header={"alg": "ES256"}))
    out["no_kid_attacker"] = ctx.token(ctx.assertion(attacker, cid, header={"alg": "ES256"}))
    for name, member, value in (("jku", "jku", listener + "/jwks.json"), ("x5u", "x5u", listener + "/cert.pem"),
                                ("jwk", "jwk", attacker.public_jwk()), ("x5c", "x5c", ["MIIB"])):
        out[name] = ctx.token(ctx.assertion(attacker, cid, header={"alg": "ES256", "kid": attacker.kid, member: value}))
        out[name + "_registered_key"] = ctx.token(ctx.assertion(key, cid, header={"alg": "ES256", "kid": key.kid, member: value}))
    return out


def s_hostile(ctx):
    """Case 18: a 1 MiB assertion, 10,000-deep JSON in an assertion and a registration, JWE and PBES2."""
    key = Key()
    cid = ctx.register([key])
    big = "eyJ" + "A" * (1024 * 1024)
    deep = "[" * 10000 + "]" * 10000
    out = {"one_mib": ctx.token(big)}
    out["deep_payload"] = ctx.token(jws(key, {"alg": "ES256", "kid": key.kid}, '{"iss":"%s","x":%s}' % (cid, deep)))
    out["deep_header"] = ctx.token(jws(key, '{"alg":"ES256","x":%s}' % ("[" * 2000 + "]" * 2000), ctx.claims(cid)))
    out["jwe"] = ctx.token(".".join([b64u(b'{"alg":"RSA-OAEP","enc":"A256GCM"}'), "AAAA", "AAAA", "AAAA", "AAAA"]))
    out["pbes2"] = ctx.token(jws(key, {"alg": "PBES2-HS256+A128KW", "p2c": 2 ** 31 - 1, "p2s": "AAAA", "kid": key.kid}, ctx.claims(cid),
                                 signature=bytes(32)))
    out["enc_header"] = ctx.token(jws(key, {"alg": "ES256", "kid": key.kid, "enc": "A256GCM"}, ctx.claims(cid)))
    status, _, body = ctx.admin_json("POST", "/v1/clients", '{"identity_id":"%s","token_endpoint_auth_method":"private_key_jwt",'
                                     '"scope":"payments:read","jwks":%s}' % (ctx.identity, deep))
    out["deep_registration"] = {"status": status, "type": body.get("type") if isinstance(body, dict) else None}
    out["after"] = happy(ctx, key, cid)[0]
    return out


SCENARIOS = {"signature": s_signature, "audience": s_audience, "times": s_times, "replay": s_replay,
             "jti-subject": s_jti_subject, "shape": s_shape, "keys": s_keys, "hostile": s_hostile}


def main():
    import oauth_jwks
    import oauth_scenarios
    scenarios = dict(SCENARIOS)
    scenarios.update(oauth_scenarios.SCENARIOS)
    import oauth_federation
    scenarios.update(oauth_federation.SCENARIOS)
    scenarios.update(oauth_jwks.SCENARIOS)
    import oauth_ratelimit
    scenarios.update(oauth_ratelimit.SCENARIOS)
    ctx = Context()
    result = scenarios[sys.argv[1]](ctx)
    print(json.dumps({k: public(v) if isinstance(v, dict) else v for k, v in result.items()}, sort_keys=True))


if __name__ == "__main__":
    main()
