"""requests-oauth2client as Keyward's clients use it (private_key_jwt, DPoP), with a session that
puts every assertion, proof and token it exchanges in the ledger (never on stdout)."""
import base64
import json

import requests
from requests_oauth2client import OAuth2Client, PrivateKeyJwt


def rp_client(ctx, key, client_id, session=None, **kw):
    """A requests-oauth2client client authenticating with private_key_jwt; every request and answer it
    makes goes through `session`, whose hook puts assertions, proofs and tokens in the ledger."""
    session = session or recording_session(ctx, [])
    return OAuth2Client(token_endpoint=ctx.base + "/oauth/token", revocation_endpoint=ctx.base + "/oauth/revoke",
                        auth=PrivateKeyJwt(client_id, key.private_jwk()), testing=True, session=session, **kw)


def recording_session(ctx, log):
    """A requests session that appends (status, error, DPoP-Nonce header) of every answer to `log`."""
    s = requests.Session()

    def hook(resp, *args, **kwargs):
        body = resp.request.body or ""
        for part in (body if isinstance(body, str) else body.decode()).split("&"):
            if part.startswith("client_assertion="):
                ctx.secret(part.split("=", 1)[1])
        ctx.secret(resp.request.headers.get("DPoP"))
        try:
            j = resp.json()
        except ValueError:
            j = {}
        ctx.secret(j.get("access_token"))
        log.append({"status": resp.status_code, "error": j.get("error"), "dpop_nonce": resp.headers.get("DPoP-Nonce"),
                    "sent_nonce": "nonce" in _claims(resp.request.headers.get("DPoP"))})
        return resp

    s.hooks["response"].append(hook)
    return s


def _claims(compact):
    if not compact:
        return {}
    seg = compact.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def happy(ctx, key, cid, **kw):
    """A token by requests-oauth2client; returns (summary, token text)."""
    log = []
    client = rp_client(ctx, key, cid, recording_session(ctx, log))
    tok = client.client_credentials(scope=kw.get("scope", "payments:read"), dpop=kw.get("dpop"))
    return {"status": log[-1]["status"], "token_type": tok.token_type}, tok
