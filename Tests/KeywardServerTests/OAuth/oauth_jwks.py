"""jwks_uri clients and SECURITY-CASES case 20, for oauth_driver.py: a JWKS server on loopback run by
this process (http.server in a thread) serves each client's key set at its own path, and can instead
redirect (to 169.254.169.254, or to a landing path that counts its visitors), send 50 MB, stall, send
HTML or a private key. Every key is generated at run time; no private key is ever served except by the
"private" path, whose point is that Keyward refuses it.
"""
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from oauth_clients import happy
from oauth_forge import Key

FIFTY_MB = 50 * 1024 * 1024


class JWKSServer:
    """path → keys, path → mode; counts requests per path and the bytes a big body got out."""

    def __init__(self):
        self.keys, self.modes, self.hits, self.sent = {}, {}, {}, {}
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def serve(self, path, keys, mode="keys"):
        self.keys[path], self.modes[path] = keys, mode
        return self.url(path)

    def close(self):
        self.release.set()
        self.httpd.shutdown()

    def handle(self, h):
        path = h.path
        self.hits[path] = self.hits.get(path, 0) + 1
        mode = self.modes.get(path, "keys")
        keys = self.keys.get(path, [])
        if mode in ("redirect_metadata", "redirect_local"):
            target = "http://169.254.169.254/latest/meta-data/" if mode == "redirect_metadata" else self.url("/landing")
            return self.reply(h, 302, "text/plain", b"", [("Location", target)])
        if mode == "stall":
            self.release.wait(60)
            return
        if mode == "big":
            return self.big(h, path, chunked=False)
        if mode == "big_chunked":
            return self.big(h, path, chunked=True)
        if mode == "private":
            return self.reply(h, 200, "application/json", json.dumps({"keys": [k.private_jwk() for k in keys]}).encode())
        if mode == "not_json":
            return self.reply(h, 200, "application/json", b"{\"keys\": [")
        body = json.dumps({"keys": [k.public_jwk() for k in keys]}).encode()
        return self.reply(h, 200, "text/html" if mode == "html" else "application/json", body)

    @staticmethod
    def reply(h, status, ctype, body, headers=()):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def big(self, h, path, chunked):
        """50 MB of JSON-ish filler, declared up front or streamed in chunks; stops when the reader goes."""
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if chunked:
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Content-Length", str(FIFTY_MB))
        h.end_headers()
        chunk = b"{\"keys\":[" + b" " * (64 * 1024 - 9)
        self.sent[path] = 0
        try:
            while self.sent[path] < FIFTY_MB:
                if chunked:
                    h.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                else:
                    h.wfile.write(chunk)
                h.wfile.flush()
                self.sent[path] += len(chunk)
                chunk = b" " * len(chunk)
        except OSError:
            pass


def register_uri(ctx, url, extra=None):
    """POST /v1/clients with a jwks_uri → (status, body)."""
    obj = {"identity_id": ctx.identity, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": url, "scope": "payments:read"}
    obj.update(extra or {})
    status, _, body = ctx.admin_json("POST", "/v1/clients", obj)
    return status, body


def refused(status, body):
    return {"status": status, "type": body.get("type"), "detail": body.get("detail")}


def s_jwks_uri(ctx):
    """A client registered by jwks_uri gets a token (requests-oauth2client); a rotation at its JWKS (new kid) is
    picked up; a flood of unknown kids fetches nothing more; the key rotated out stops working."""
    srv = JWKSServer()
    try:
        a, b = Key(), Key()
        url = srv.serve("/rp/jwks.json", [a])
        status, body = register_uri(ctx, url)
        if status != 201:
            raise RuntimeError("registration by jwks_uri failed: %d %s" % (status, body))
        cid = body["client_id"]
        out = {"registered": {"status": status, "jwks_uri_echoed": body.get("jwks_uri") == url,
                              "thumbprints_match": [k["thumbprint"] for k in body["keys"]] == [a.thumbprint()]}}
        shown = ctx.admin_json("GET", "/v1/clients/" + cid)[2]
        out["shown"] = {"jwks_uri_echoed": shown.get("jwks_uri") == url}
        out["first"] = happy(ctx, a, cid)[0]
        out["hits_after_first"] = srv.hits.get("/rp/jwks.json", 0)
        srv.keys["/rp/jwks.json"] = [b]
        out["rotated"] = happy(ctx, b, cid)[0]
        out["hits_after_rotation"] = srv.hits.get("/rp/jwks.json", 0)
        # The rotated-in key is now among the client's registered thumbprints (the leak loop matches it).
        after = ctx.admin_json("GET", "/v1/clients/" + cid)[2]
        out["keys_after_rotation"] = {"thumbprints": sorted(k["thumbprint"] for k in after.get("keys", [])) == sorted([a.thumbprint(), b.thumbprint()])}
        for i in range(5):
            stranger = Key(kid="random-" + uuid.uuid4().hex)
            out["flood_%d" % i] = ctx.token(ctx.assertion(stranger, cid))
        out["hits_after_flood"] = srv.hits.get("/rp/jwks.json", 0)
        out["old_key"] = ctx.token(ctx.assertion(a, cid))
        out["client_id"] = cid
        return out
    finally:
        srv.close()


def s_jwks_uri_registration(ctx):
    """Case 20 at registration: each bad jwks_uri is a 422 naming why, and the landing path sees no one."""
    srv = JWKSServer()
    try:
        key = Key()
        out = {}
        for mode in ("redirect_metadata", "redirect_local", "big", "big_chunked", "stall", "html", "private", "not_json"):
            path = "/reg/" + mode
            out[mode] = refused(*register_uri(ctx, srv.serve(path, [key], mode)))
            out[mode]["hits"] = srv.hits.get(path, 0)
        out["landing_hits"] = srv.hits.get("/landing", 0)
        out["big_sent"] = srv.sent.get("/reg/big", 0)
        out["big_chunked_sent"] = srv.sent.get("/reg/big_chunked", 0)
        srv.serve("/reg/good", [key])
        out["off_list"] = refused(*register_uri(ctx, "http://localhost:%d/reg/good" % srv.port))
        out["metadata_literal"] = refused(*register_uri(ctx, "https://169.254.169.254/latest/meta-data/"))
        out["mapped_metadata"] = refused(*register_uri(ctx, "https://[::ffff:169.254.169.254]/jwks"))
        out["plain_http_remote"] = refused(*register_uri(ctx, "http://jwks.corp.example/jwks.json"))
        out["userinfo"] = refused(*register_uri(ctx, "http://user:pw@127.0.0.1:%d/reg/good" % srv.port))
        out["both"] = refused(*register_uri(ctx, srv.url("/reg/good"), {"jwks": {"keys": [key.public_jwk()]}}))
        out["good_hits_before"] = srv.hits.get("/reg/good", 0)
        status, body = register_uri(ctx, srv.url("/reg/good"))
        out["good"] = {"status": status}
        out["good_token"] = happy(ctx, key, body["client_id"])[0] if status == 201 else {}
        return out
    finally:
        srv.close()


def s_jwks_uri_token(ctx):
    """Case 20 at the token endpoint: a client whose JWKS turns bad is refused (401 invalid_client) for a key it
    rotated to, while the last good set still stands for the key it had."""
    srv = JWKSServer()
    try:
        out = {}
        for mode in ("redirect_metadata", "big_chunked", "stall", "private", "html"):
            path = "/tok/" + mode
            old, new = Key(), Key()
            status, body = register_uri(ctx, srv.serve(path, [old]))
            if status != 201:
                raise RuntimeError("registration by jwks_uri failed: %d %s" % (status, body))
            cid = body["client_id"]
            srv.keys[path], srv.modes[path] = [new], mode
            out[mode] = ctx.token(ctx.assertion(new, cid))
            out[mode]["hits"] = srv.hits.get(path, 0)
            out[mode + "_last_good"] = ctx.token(ctx.assertion(old, cid))
        out["landing_hits"] = srv.hits.get("/landing", 0)
        return out
    finally:
        srv.close()


SCENARIOS = {"jwks-uri": s_jwks_uri, "jwks-uri-registration": s_jwks_uri_registration, "jwks-uri-token": s_jwks_uri_token}
