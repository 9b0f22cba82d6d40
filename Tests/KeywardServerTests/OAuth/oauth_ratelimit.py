"""Case 66 at the token endpoint: a flood of forged client assertions carrying a victim's client_id,
sent from another loopback address (127.0.0.2), fills the failure bucket of that address and that
client only. Run by oauth_driver.py (scenario "ratelimit")."""

import http.client
import urllib.parse

from oauth_forge import ASSERTION_TYPE, Key


def _token_from(ctx, source, assertion):
    """POST /oauth/token from `source` (a loopback address this machine answers on)."""
    body = urllib.parse.urlencode([("grant_type", "client_credentials"), ("client_assertion_type", ASSERTION_TYPE),
                                   ("client_assertion", assertion)])
    ctx.secret(assertion)
    conn = http.client.HTTPConnection(ctx.host, ctx.port, timeout=60, source_address=(source, 0))
    try:
        conn.request("POST", "/oauth/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        status, headers, raw = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()
    summary = ctx.summarize(status, headers, raw)
    summary["ratelimit_policy"] = headers.get("ratelimit-policy")
    return summary


def s_ratelimit(ctx):
    victim_key, attacker_key = Key(), Key()
    victim = ctx.register([victim_key])
    other = ctx.register([Key()])
    flood = [_token_from(ctx, "127.0.0.2", ctx.assertion(attacker_key, victim)) for _ in range(40)]
    return {
        "flood_statuses": [a["status"] for a in flood],
        "flood_errors": sorted({a["error"] or "" for a in flood}),
        "flood_last": flood[-1],
        # The victim, from its own address, is served.
        "victim_own_source": _token_from(ctx, "127.0.0.1", ctx.assertion(victim_key, victim)),
        # From the flooding address even a valid assertion for that client waits out the bucket…
        "victim_from_flooder": _token_from(ctx, "127.0.0.2", ctx.assertion(victim_key, victim)),
        # …while a bad assertion for another client is judged (its own bucket is untouched).
        "other_from_flooder": _token_from(ctx, "127.0.0.2", ctx.assertion(attacker_key, other)),
    }


SCENARIOS = {"ratelimit": s_ratelimit}
