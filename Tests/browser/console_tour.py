#!/usr/bin/env python3
"""A browser tour of the Keyward web console (Selenium, headless Chromium).

    python3 Tests/browser/console_tour.py --url http://127.0.0.1:PORT --admin-key KEY --out DIR

It seeds its own data through the JSON API with the admin key, then drives the console as an
operator would: sign-in (a wrong key, then the admin key), posture, identities, issuing a key,
reporting it as leaked, the incident it opens, revoking a second key, detections, reviews, the
audit log, the pages at phone width, sign-out, and a read-only session. Every page it visits is
checked (no script ran or exists, no injected element, no secret in the page, no horizontal
overflow at phone width) and saved as DIR/NN-page-name.png; DIR/tour.json sums it up.

Exit code 0 when every check passed. On the first failed check it prints `FAIL: ...` to stderr,
saves DIR/failure.png (with any key redacted) and exits 1.

Secrets (the admin key and every key the tour issues) live only in variables: they are never
printed, logged, written to tour.json or left in a screenshot. The one page that shows a new
key has it replaced by `kw_live_… (redacted by the test)` before its screenshot.

Needs Debian's chromium and chromedriver (/usr/bin) and Selenium 4; no network beyond loopback.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# Selenium Manager must never try to download a browser or a driver.
os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 20
LAPTOP = (1366, 900)
PHONE = (390, 844)
REDACTED = "kw_live_… (redacted by the test)"
# A whole Keyward key (a table's 4-character prefix such as kw_live_ab12 does not match).
KEY_PATTERN = r"kw_(?:live|test)_[A-Za-z0-9_-]{16,}"
BUILTIN_IDENTITY = "idn_00000000000000000000000000000000"
ERROR_HEADINGS = ("Something went wrong", "Not found", "Could not do that", "Refused")

# XSS payloads in every user-controlled field the console shows.
XSS_NAME = "xss<script>window.__xss=1</script>"
XSS_PURPOSE = '"><img src=x id=xss-img onerror="window.__xss=2">'
XSS_LABEL = "<b id=xss-b>bold</b>"
XSS_BUSINESS_OWNER = "<svg onload=window.__xss=3>"
XSS_URL = "https://paste.example/leak?q=<script>window.__xss=4</script>"


class TourFailure(Exception):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class Tour:
    def __init__(self, url: str, admin_key: str, out: str):
        self.base = url.rstrip("/")
        self.out = out
        self.admin_key = admin_key
        # Every plaintext key known to the tour; none may appear where it should not.
        self.secrets: list[str] = [admin_key]
        self.driver: webdriver.Chrome | None = None
        self.shot_count = 0
        self.pages: list[dict] = []  # one per screenshot
        self.visited: list[str] = []  # every page checked, in order
        self.checks: list[str] = []
        self.figures: dict = {}
        self.notes: list[str] = []
        self.issued_page = False  # the current page is the one that shows a new key
        self.issued_secret: str | None = None  # the key that page may show
        self.started = time.monotonic()
        self.opener = urllib.request.build_opener(_NoRedirect)

    # MARK: output that can never carry a secret

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            if s:
                text = text.replace(s, "[secret]")
        return re.sub(KEY_PATTERN, "[secret]", text)

    def log(self, message: str) -> None:
        print(self.scrub(message), flush=True)

    def fail(self, message: str) -> None:
        raise TourFailure(self.scrub(message))

    def check(self, condition: bool, description: str, detail: str = "") -> None:
        """A hard assertion: record it when it holds, stop the tour when it does not."""
        if not condition:
            self.fail(description + (f" ({detail})" if detail else ""))
        self.checks.append(self.scrub(description))

    def holds_secret(self, text: str, allow: str | None = None) -> list[int]:
        """The indexes (never the values) of the known secrets found in `text`."""
        return [i for i, s in enumerate(self.secrets) if s and s != allow and s in text]

    # MARK: API

    def http(self, method: str, path: str, body=None, key: str | None = None, cookie: str | None = None):
        """(status, headers, parsed JSON or text) of a request; redirects are not followed."""
        headers = {"Accept": "application/json"}
        if key:
            headers["Authorization"] = "Bearer " + key
        if cookie:
            headers["Cookie"] = cookie
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=WAIT_SECONDS) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return status, hdrs, parsed

    def api(self, method: str, path: str, body=None, key: str | None = None, expect=(200, 201, 202)):
        status, _, parsed = self.http(method, path, body, key=key or self.admin_key)
        if status not in expect:
            # A problem document never carries a secret, but scrub it anyway.
            self.fail(f"{method} {path} answered {status}: {str(parsed)[:400]}")
        return parsed

    # MARK: browser

    def start_browser(self) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
                    "--disable-background-networking", "--disable-sync", "--password-store=basic",
                    # Overlay scrollbars, as on a phone: the layout width is the window's width,
                    # so the overflow check and the full-page screenshots see the same layout.
                    "--hide-scrollbars",
                    f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
            options.add_argument(arg)
        # Keys go into a password field: no password manager, no leak check.
        options.add_experimental_option("prefs", {
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
            "profile.password_manager_leak_detection": False,
        })
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        self.driver.set_page_load_timeout(WAIT_SECONDS)
        self.set_size(*LAPTOP)

    def quit(self) -> None:
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None

    def wait(self, condition, what: str, timeout: float = WAIT_SECONDS):
        try:
            return WebDriverWait(self.driver, timeout).until(condition)
        except TimeoutException:
            self.fail(f"timed out after {timeout:.0f} s waiting for {what} (at {self.path()})")

    def set_size(self, width: int, height: int) -> None:
        d = self.driver
        d.set_window_size(width, height)
        # Wait until the layout viewport has the new width (the renderer may learn of it a moment later).
        self.wait(lambda drv: abs(drv.execute_script("return window.innerWidth;") - width) <= 20,
                  f"the window to become {width}x{height}")

    def path(self) -> str:
        try:
            u = urllib.parse.urlsplit(self.driver.current_url)
            return u.path + ("?" + u.query if u.query else "")
        except WebDriverException:
            return "?"

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def present(self, css: str) -> bool:
        return len(self.finds(css)) > 0

    def text(self, css: str) -> str:
        return self.find(css).text

    def body_text(self) -> str:
        return self.find("body").text

    def loaded(self) -> None:
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", "the page to load")

    def visit(self, path: str) -> None:
        """Open a console path (the browser follows redirects) and check the page."""
        self.driver.get(self.base + path)
        self.loaded()
        self.issued_page = False
        self.check_page()

    def click_through(self, css: str, *, check: bool = True) -> None:
        """Click a link or a form's submit button and wait for the page it leads to (then check it)."""
        old = self.find("html")
        self.find(css).click()
        self.wait(lambda d: self.is_stale(old), f"{css} to lead to a new page")
        self.loaded()
        self.issued_page = False
        if check:
            self.check_page()

    submit = follow = click_through

    @staticmethod
    def is_stale(element) -> bool:
        """Whether the page that held `element` is gone. Chromium answers a node of a replaced
        document either as a stale element or, mid-navigation, with "does not belong to the document"."""
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e) or "No node with given id" in str(e):
                return True
            raise

    def overflow(self) -> tuple[int, int]:
        return tuple(self.driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth];"))

    def overflowing(self) -> str:
        """The innermost elements whose content sticks out of their box (outside .scroll wrappers)."""
        found = self.driver.execute_script("""
            var out = [];
            document.querySelectorAll('body *').forEach(function (e) {
              if (e.closest('.scroll') || e.clientWidth === 0 || e.scrollWidth <= e.clientWidth + 1) { return; }
              var inner = Array.prototype.some.call(e.children, function (c) { return c.scrollWidth > c.clientWidth + 1; });
              if (!inner) { out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' (' + e.scrollWidth + ' px in '
                                    + e.clientWidth + ' px: ' + JSON.stringify((e.textContent || '').trim().slice(0, 60)) + ')'); }
            });
            return out.slice(0, 3).join('; ');""")
        return found or "no single element found"

    def check_no_overflow(self, here: str, label: str) -> None:
        width, inner = self.overflow()
        detail = "" if width <= inner + 1 else f"scrollWidth {width}: {self.overflowing()}"
        self.check(width <= inner + 1, f"{here}: no horizontal overflow at {label}{inner} px", detail)

    def check_page(self) -> None:
        """What must hold on every console page, whoever looks."""
        d = self.driver
        here = self.path()
        self.visited.append(here)
        self.check(d.execute_script("return window.__xss;") is None, f"{here}: no injected script ran (window.__xss unset)")
        self.check(d.execute_script("return document.scripts.length;") == 0, f"{here}: the page has no <script> element")
        injected = d.execute_script(
            "return ['xss-img', 'xss-b'].filter(function (id) { return document.getElementById(id) !== null; });")
        self.check(not injected, f"{here}: no element injected from stored data", f"found ids {injected}")
        self.check(not self.finds("svg[onload], img[onerror], [onclick], [onmouseover]"),
                   f"{here}: no element carries an event-handler attribute")
        heading = self.finds("h1")
        h1 = heading[0].text if heading else ""
        self.check(h1 not in ERROR_HEADINGS, f"{here}: the page is not an error page",
                   f"h1 {h1!r}: {self.finds('#message')[0].text if self.present('#message') else ''}")
        source = d.page_source
        allowed = self.issued_secret if self.issued_page else None
        leaked = self.holds_secret(source, allow=allowed)
        self.check(not leaked, f"{here}: the page holds no secret" + (" but the one it issues" if self.issued_page else ""),
                   f"secret #{leaked} found in the page source")
        if not self.issued_page:
            self.check(not re.search(KEY_PATTERN, source), f"{here}: nothing shaped like a whole key in the page")
        self.check_no_overflow(here, "")
        # Every page must fit a phone too (tables scroll inside their .scroll wrapper).
        size = d.get_window_size()
        if size["width"] > PHONE[0] + 50:
            self.set_size(*PHONE)
            try:
                self.check_no_overflow(here, "phone width ")
            finally:
                self.set_size(size["width"], size["height"])

    def capture(self, file: str) -> None:
        """A PNG of the whole page (beyond the viewport), else of the viewport."""
        d = self.driver
        try:
            metrics = d.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width = d.execute_script("return window.innerWidth;")
            height = min(int(size["height"]) + 1, 8000)
            png = d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
            with open(file, "wb") as f:
                f.write(base64.b64decode(png["data"]))
        except (WebDriverException, KeyError, ValueError):
            d.save_screenshot(file)

    def shot(self, name: str) -> str:
        """Save the current page as DIR/NN-name.png (after checking it holds no secret)."""
        source = self.driver.page_source
        leaked = self.holds_secret(source)
        if leaked:
            self.fail(f"refusing to screenshot {self.path()}: it still shows secret #{leaked}")
        self.shot_count += 1
        file = f"{self.shot_count:02d}-{name}.png"
        self.capture(os.path.join(self.out, file))
        size = self.driver.get_window_size()
        self.pages.append({"screenshot": file, "path": self.path(), "title": self.driver.title,
                           "window": f"{size['width']}x{size['height']}"})
        self.log(f"  shot {file}  {self.path()}")
        return file

    def redact_secret(self) -> None:
        """Replace the new key on the issued page before anything records the page."""
        self.driver.execute_script(
            "var e = document.getElementById('secret'); if (e) { e.textContent = arguments[0]; }", REDACTED)
        self.issued_page = False
        self.check(not self.holds_secret(self.driver.page_source), f"{self.path()}: the issued key is redacted before the screenshot")

    def failure_shot(self) -> None:
        """DIR/failure.png of wherever the tour stopped, with every key-shaped text redacted."""
        d = self.driver
        if d is None:
            return
        try:
            d.execute_script(r"""
                var re = new RegExp(arguments[0], 'g'), red = arguments[1];
                var e = document.getElementById('secret'); if (e) { e.textContent = red; }
                var w = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
                for (var n = w.nextNode(); n; n = w.nextNode()) { n.nodeValue = n.nodeValue.replace(re, red); }
                document.querySelectorAll('input, textarea').forEach(function (i) { i.value = ''; });
            """, KEY_PATTERN, REDACTED)
            if self.holds_secret(d.page_source):
                d.execute_script("document.body.textContent = 'This page was hidden: it held a secret.';")
            self.capture(os.path.join(self.out, "failure.png"))
        except WebDriverException as e:
            print(self.scrub(f"(could not save failure.png: {e.msg})"), file=sys.stderr)

    # MARK: cookies and sessions

    def cookies(self) -> dict:
        return {c["name"]: c for c in self.driver.get_cookies()}

    def session_cookie(self) -> dict | None:
        return self.cookies().get("keyward_session") or self.cookies().get("__Host-keyward_session")

    def check_cookies(self) -> None:
        for c in self.driver.get_cookies():
            self.check(not any(s in c.get("value", "") for s in self.secrets), f"cookie {c['name']} holds no secret")

    def sign_in(self, key: str) -> None:
        self.wait(EC.presence_of_element_located((By.ID, "key")), "the sign-in form")
        field = self.find("#key")
        field.clear()
        field.send_keys(key)
        self.submit("#sign-in")

    # MARK: the tour

    def seed(self) -> None:
        self.log("seed: identities, keys and a read-only management key through the API")
        self.payments = self.api("POST", "/v1/identities", {
            "name": "payments-api", "kind": "service", "technical_owner": "alice@example.com",
            "business_owner": "payments team", "purpose": "Charges cards for the checkout",
            "environment": "production", "allowed_scopes": ["payments:read", "payments:write"],
            "labels": {"team": "payments"}})
        self.xss = self.api("POST", "/v1/identities", {
            "name": XSS_NAME, "kind": "service", "technical_owner": "mallory@example.com",
            "business_owner": XSS_BUSINESS_OWNER, "purpose": XSS_PURPOSE, "environment": "production",
            "allowed_scopes": ["reports:read"], "labels": {"team": XSS_LABEL}})
        self.check(self.xss["name"] == XSS_NAME and self.xss["purpose"] == XSS_PURPOSE,
                   "the API stores the XSS payloads verbatim")
        # A key for the XSS identity puts it among the posture findings (NHI4: bearer keys).
        xss_key = self.api("POST", "/v1/keys", {"identity_id": self.xss["id"], "scopes": ["reports:read"],
                                                 "environment": "live", "ttl_seconds": 7 * 86400, "name": "xss-key"})
        self.secrets.append(xss_key["key"])
        ro = self.api("POST", "/v1/keys", {"identity_id": BUILTIN_IDENTITY, "scopes": ["keyward:read"],
                                           "environment": "live", "ttl_seconds": 3600, "name": "console-tour read-only"})
        self.read_only_key = ro["key"]
        self.secrets.append(self.read_only_key)
        self.figures["payments_identity"] = self.payments["id"]
        self.figures["xss_identity"] = self.xss["id"]
        self.figures["read_only_key_id"] = ro["id"]

    def report_leak(self, secret: str, key_id: str) -> str:
        """Report `secret` as found on a paste site; the exposure URL carries an XSS payload."""
        def item(**kw):
            return {"source": "paste", "items": [dict(rule_id="keyward.live-key", provider="keyward", **kw)]}
        digest = hashlib.sha256(secret.encode()).hexdigest()
        attempts = [("plaintext", item(secret=secret, url=XSS_URL), True),
                    ("sha256 (admin report)", item(sha256=digest, url=XSS_URL), True),
                    ("sha256 (admin report)", item(sha256=digest, url="https://paste.example/leak"), False)]
        for how, body, payload in attempts:
            status, _, answer = self.http("POST", "/v1/exposures", body, key=self.admin_key)
            if status == 202:
                break
            problem = answer.get("detail") or answer.get("title") if isinstance(answer, dict) else str(answer)
            self.notes.append(self.scrub(f"POST /v1/exposures with {how}{' and an XSS url' if payload else ''} "
                                         f"answered {status}: {str(problem)[:200]}"))
            self.check(400 <= status < 500, "an exposure report is refused with a 4xx, never a 5xx", f"status {status}")
        else:
            self.fail("POST /v1/exposures accepted none of the reports")
        self.figures["exposure_reported_with"] = how
        self.figures["exposure_url_payload"] = payload
        result = answer["results"][0]
        self.check(bool(result.get("incident_id")), "the leak report opened an incident", str(result))
        self.check(result.get("action") == "revoke", "the leaked live key is contained by revocation", str(result))
        key = self.api("GET", f"/v1/keys/{key_id}")
        self.check(key.get("status") == "revoked", "the API shows the leaked key revoked", key.get("status", "?"))
        return result["incident_id"]

    def nhi2(self) -> str:
        return " ".join(self.text("#risk-NHI2 summary").split())

    def open_identity(self, identity: dict) -> None:
        """From the identities list, open an identity's page (filtering by exact name if needed)."""
        link = f'#identities a[href="/console/identities/{identity["id"]}"]'
        if not self.present(link):
            box = self.find('form[action="/console/identities"] input[name="name"]')
            box.clear()
            box.send_keys(identity["name"])
            self.submit('form[action="/console/identities"] button[type="submit"]')
        self.check(self.present(link), f"the identities list links to {identity['name']}")
        self.follow(link)
        self.check(self.text("#identity-name") == identity["name"], f"the identity page is {identity['name']}'s")

    def issue_key(self, name: str, scopes: str, days: int) -> tuple[str, str]:
        """Issue a key with the identity page's form; returns (key id, secret), secret redacted on the page."""
        scopes_box = self.find("#issue-scopes")
        scopes_box.clear()
        scopes_box.send_keys(scopes)
        self.find("#issue-ttl").send_keys(str(days))
        self.find("#issue-name").send_keys(name)
        # The page that answers holds the new secret: check_page allows that one only.
        self.issued_secret = None
        self.click_through("#issue-key", check=False)
        self.check(self.present("#secret"), "issuing answers with the page that shows the new key",
                   f"h1 {self.finds('h1')[0].text if self.finds('h1') else ''!r}")
        secret = self.text("#secret").strip()
        self.check(secret.startswith("kw_live_") and len(secret) > 20, "the issued key is a kw_live_ key")
        self.issued_secret = secret
        self.secrets.append(secret)
        self.issued_page = True
        self.check_page()
        key_id = self.text("#issued-key-id").strip()
        self.check(re.fullmatch(r"key_[0-9a-f]{32}", key_id) is not None, "the issued page names the key id", key_id)
        self.redact_secret()
        return key_id, secret

    def key_status(self, key_id: str) -> str:
        cells = self.finds(f"#key-{key_id} td")
        self.check(len(cells) >= 3, f"the keys table has a row for {key_id}")
        return cells[2].text.strip()

    def run(self) -> None:
        self.seed()
        self.start_browser()
        d = self.driver

        self.log("sign-in")
        self.visit("/console/")
        self.check(urllib.parse.urlsplit(d.current_url).path == "/console/sign-in",
                   "without a session /console/ lands on the sign-in page", d.current_url)
        self.check(self.session_cookie() is None, "no session cookie before signing in")
        self.shot("sign-in")
        self.sign_in("kw_live_" + "0" * 38)
        self.check(self.present("#error"), "a wrong key shows the sign-in error")
        self.check(self.session_cookie() is None, "a wrong key opens no session")
        self.check(self.present("#key") and not self.present("#sign-out"), "a wrong key stays on the sign-in form")
        self.figures["wrong_key_error"] = self.text("#error")
        self.shot("sign-in-wrong-key")
        self.sign_in(self.admin_key)
        self.check(self.present("#overall-score"), "signing in with the admin key lands on the posture page")
        self.check("admin" in self.text("#who") and "read-only" not in self.text("#who"), "the header says admin")
        self.figures["overall_score_before"] = self.text("#overall-score")
        self.figures["nhi2_before"] = self.nhi2()
        self.shot("posture")

        self.log("session cookie")
        cookie = self.session_cookie()
        self.check(cookie is not None and cookie["name"] == "keyward_session", "the session cookie is keyward_session",
                   str(sorted(self.cookies())))
        self.check(cookie.get("httpOnly") is True, "the session cookie is HttpOnly")
        self.check(cookie.get("sameSite") == "Strict", "the session cookie is SameSite=Strict", str(cookie.get("sameSite")))
        self.check(cookie.get("path") == "/", "the session cookie's path is /")
        self.check(re.fullmatch(r"[0-9a-f]{64}", cookie["value"]) is not None, "the session cookie is 32 random bytes in hex")
        self.check_cookies()
        admin_session = cookie["value"]

        self.log("identities and issuing a key")
        self.visit("/console/identities")
        self.check(self.present("#identities"), "the identities page has its table")
        self.shot("identities")
        self.open_identity(self.payments)
        self.check(self.present("#issue-form"), "an admin sees the issue form")
        self.shot("identity-payments-api")
        leaked_id, leaked_secret = self.issue_key("tour", "payments:read", 30)
        self.shot("key-issued")
        self.follow("#done")
        self.check(self.text("#identity-name") == "payments-api", "Done leads back to the identity")
        self.check(leaked_secret not in d.page_source, "the identity page does not show the issued key")
        self.check(self.key_status(leaked_id) == "active", "the new key is listed active")

        self.log("leak report and incident")
        incident_id = self.report_leak(leaked_secret, leaked_id)
        self.figures["incident_id"] = incident_id
        self.figures["leaked_key_id"] = leaked_id
        self.visit("/console/incidents")
        link = f'#incidents a[href="/console/incidents/{incident_id}"]'
        self.check(self.present(link), "the incidents list links to the new incident")
        self.shot("incidents")
        self.follow(link)
        self.check(len(self.finds("#timeline li")) >= 1, "the incident has a timeline")
        self.check(self.present("#blast-radius"), "the incident has a blast radius")
        self.check("payments-api" in self.text("#blast-radius"), "the blast radius names payments-api")
        self.figures["incident_status"] = self.text("#incident-status")
        self.check(self.figures["incident_status"] in ("contained", "open"), "the incident is contained",
                   self.figures["incident_status"])
        self.figures["incident_timeline"] = [" ".join(li.text.split()) for li in self.finds("#timeline li")]
        if self.figures.get("exposure_url_payload"):
            payload_shown = "<script>" in self.body_text()
            self.figures["incident_shows_url_payload_as_text"] = payload_shown
            if not payload_shown:
                self.notes.append("the incident page does not show the exposure URL (its <script> payload is stored but not displayed there)")
        self.shot("incident")

        self.log("second key: issue and revoke")
        self.visit(f"/console/identities/{self.payments['id']}")
        self.check(self.key_status(leaked_id) == "revoked", "the leaked key's row shows it revoked")
        revoke_id, _ = self.issue_key("tour-revoke", "payments:read payments:write", 7)
        self.shot("key-issued-second")
        self.follow("#done")
        self.check(self.present(f"#revoke-{revoke_id}"), "the new key's row has a revoke button")
        self.find(f"#revoke-reason-{revoke_id}").send_keys("console tour: revoked on purpose")
        self.submit(f"#revoke-{revoke_id}")
        self.check(self.path().startswith(f"/console/identities/{self.payments['id']}"), "revoking leads back to the identity")
        self.check(self.present("#flash"), "the identity page confirms the revocation (#flash)")
        self.check(self.key_status(revoke_id) == "revoked", "the revoked key's row shows revoked")
        self.check(not self.present(f"#revoke-{revoke_id}"), "a revoked key has no revoke button")
        self.figures["revoked_key_id"] = revoke_id
        self.shot("key-revoked")

        self.log("posture after the incident")
        self.visit("/console/")
        self.figures["overall_score_after"] = self.text("#overall-score")
        self.figures["nhi2_after"] = self.nhi2()
        self.check(self.figures["nhi2_after"] != self.figures["nhi2_before"], "the incident changed the NHI2 summary",
                   self.figures["nhi2_after"])
        self.open_xss_findings()
        self.shot("posture-after-incident")
        status, headers, _ = self.http("GET", "/console/posture/report")
        self.check(status in (302, 303) and (headers.get("Location") or "").endswith("/console/sign-in"),
                   "the posture report without a session redirects to sign-in", f"status {status}")
        status, headers, body = self.http("GET", "/console/posture/report", cookie=f"{cookie['name']}={admin_session}")
        self.check(status == 200 and "attachment" in (headers.get("Content-Disposition") or ""),
                   "the posture report downloads with the session", f"status {status}")
        self.check(not self.holds_secret(str(body)), "the posture report holds no secret")

        self.log("detections, reviews, audit")
        self.visit("/console/detections")
        self.check(self.present("#detections"), "the detections page has its table")
        self.shot("detections")
        self.visit("/console/reviews")
        self.check(self.present("#no-reviews") or self.present("table"), "the reviews page lists reviews or says none is due")
        self.shot("reviews")
        self.visit("/console/audit")
        self.check(self.present("#audit"), "the audit page has its table")
        self.shot("audit")
        actions, pages = self.audit_actions(), 1
        while not {"console.signed_in", "key.revoked"} <= actions and self.present("#older-page") and pages < 5:
            self.follow("#older-page")
            actions |= self.audit_actions()
            pages += 1
        self.check("console.signed_in" in actions, "the audit log records console.signed_in")
        self.check("key.revoked" in actions, "the audit log records key.revoked")

        self.log("XSS payloads stay text")
        self.visit("/console/identities")
        self.open_identity_list_xss()
        self.open_identity(self.xss)
        body = self.body_text()
        self.check("<script>" in body, "the XSS identity's name shows as text")
        self.check(self.text("#identity-purpose") == XSS_PURPOSE, "the XSS purpose shows verbatim")
        self.check(XSS_LABEL in self.text("#identity-labels"), "the XSS label shows verbatim")
        self.check(XSS_BUSINESS_OWNER in body, "the XSS business owner shows verbatim")
        self.shot("identity-xss")
        self.visit("/console/")
        self.open_xss_findings()

        self.log("phone width")
        self.set_size(*PHONE)
        self.visit("/console/")
        self.shot("phone-posture")
        self.visit(f"/console/identities/{self.payments['id']}")
        self.shot("phone-identity")
        self.set_size(*LAPTOP)

        self.log("sign-out and a read-only session")
        self.submit("#sign-out")
        self.check(self.path() == "/console/sign-in", "signing out lands on the sign-in page", self.path())
        self.check(self.session_cookie() is None, "signing out removes the session cookie")
        self.visit("/console/")
        self.check(self.path() == "/console/sign-in", "after sign-out /console/ lands on sign-in")
        status, headers, _ = self.http("GET", "/console/", cookie=f"{cookie['name']}={admin_session}")
        self.check(status in (302, 303) and (headers.get("Location") or "").endswith("/console/sign-in"),
                   "the signed-out session's cookie no longer opens a page", f"status {status}")
        self.sign_in(self.read_only_key)
        self.check(self.present("#overall-score"), "the read-only key signs in to the posture page")
        self.check("read-only" in self.text("#who"), "the header says read-only", self.text("#who"))
        self.visit(f"/console/identities/{self.payments['id']}")
        self.check(not self.present("#issue-form"), "a read-only session has no issue form")
        self.check(not self.finds("[id^='revoke-'], [id^='rotate-'], form[action$='/revoke'], form[action$='/rotate']"),
                   "a read-only session has no revoke or rotate form")
        self.check(not self.present("#confirm-identity"), "a read-only session has no confirm button")
        self.shot("read-only-identity")
        self.check_cookies()

    def open_xss_findings(self) -> None:
        """Unfold the posture risks whose findings name the XSS identity: its name must show as text."""
        folded = [e for e in self.finds("details.risk") if XSS_NAME in (e.get_attribute("textContent") or "")]
        self.check(bool(folded), "the posture findings name the XSS identity (NHI4: a bearer key)")
        for details in folded:
            if details.get_attribute("open") is None:
                details.find_element(By.TAG_NAME, "summary").click()
        self.wait(lambda d: all(e.get_attribute("open") is not None for e in folded), "the findings to unfold")
        self.check(XSS_NAME in self.body_text(), "the posture page shows the XSS name as visible text")
        self.check_page()

    def audit_actions(self) -> set[str]:
        return {row.find_elements(By.TAG_NAME, "td")[3].text.strip() for row in self.finds("#audit tbody tr")
                if len(row.find_elements(By.TAG_NAME, "td")) > 3}

    def open_identity_list_xss(self) -> None:
        """The identities list shows the XSS name as text (filtered by name if it is past the first page)."""
        if XSS_NAME not in self.body_text():
            box = self.find('form[action="/console/identities"] input[name="name"]')
            box.clear()
            box.send_keys(XSS_NAME)
            self.submit('form[action="/console/identities"] button[type="submit"]')
        self.check("<script>" in self.body_text(), "the identities list shows the XSS name as text")
        self.check(XSS_PURPOSE in self.body_text(), "the identities list shows the XSS purpose as text")
        self.shot("identities-xss")

    def summary(self, result: str, failure: str | None = None) -> dict:
        return {
            "result": result, "failure": failure, "url": self.base,
            "duration_seconds": round(time.monotonic() - self.started, 1),
            "pages": self.pages, "visited": self.visited, "checks_passed": len(self.checks), "checks": self.checks,
            "figures": self.figures, "notes": self.notes,
        }

    def write_summary(self, result: str, failure: str | None = None) -> None:
        text = json.dumps(self.summary(result, failure), indent=2, ensure_ascii=False)
        if self.holds_secret(text) or re.search(KEY_PATTERN, text):
            text = self.scrub(text)  # never expected: every value above is scrubbed or an id
        with open(os.path.join(self.out, "tour.json"), "w", encoding="utf-8") as f:
            f.write(text + "\n")


def main() -> int:
    p = argparse.ArgumentParser(description="Selenium tour of the Keyward console.")
    p.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8080")
    p.add_argument("--admin-key", default=os.environ.get("KEYWARD_TOKEN"),
                   help="a keyward:admin key, never printed (default: $KEYWARD_TOKEN, which keeps it out of ps)")
    p.add_argument("--out", required=True, help="folder for the screenshots and tour.json")
    a = p.parse_args()
    if not a.admin_key or not a.admin_key.strip():
        p.error("an admin key is needed: --admin-key KEY or $KEYWARD_TOKEN")
    os.makedirs(a.out, exist_ok=True)
    for stale in os.listdir(a.out):
        if stale.endswith(".png") or stale == "tour.json":
            os.remove(os.path.join(a.out, stale))
    tour = Tour(a.url, a.admin_key.strip(), a.out)
    try:
        tour.run()
    except TourFailure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        tour.failure_shot()
        tour.write_summary("fail", str(e))
        return 1
    except (WebDriverException, OSError, KeyError, TypeError, ValueError) as e:
        message = tour.scrub(f"{type(e).__name__}: {getattr(e, 'msg', None) or e}")
        print(f"FAIL: unexpected error at {tour.path() if tour.driver else 'start'}: {message}", file=sys.stderr)
        tour.failure_shot()
        tour.write_summary("fail", message)
        return 1
    finally:
        tour.quit()
    tour.write_summary("pass")
    s = tour.summary("pass")
    tour.log(f"PASS: {s['checks_passed']} checks, {len(s['pages'])} screenshots, {s['duration_seconds']} s -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
