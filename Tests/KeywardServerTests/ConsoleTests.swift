import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import Testing

/// The console over real HTTP on loopback, as a browser speaks it (cookies, forms, Origin):
/// sign-in, sessions and their end, CSRF, read-only keys, headers, escaping and the one view
/// of a new key. The browser tour (ConsoleBrowserTests) drives the same pages in chromium.
@Suite("Console")
struct ConsoleTests {
    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static let pages = ["/console/", "/console/identities", "/console/incidents", "/console/detections", "/console/reviews", "/console/audit"]

    @Test("sign-in opens an HttpOnly SameSite=Strict session (not Secure over plain HTTP); a wrong or customer key opens none; every page needs it")
    func signIn() async throws {
        try await TestServer.with { s in
            var b = ConsoleClient(s)
            for page in Self.pages + ["/", "/console/identities/idn_00000000000000000000000000000000"] {
                let r = try await b.get(page)
                #expect(r.status == 303, "\(page)")
                #expect(r.headers["location"] == (page == "/" ? "/console/" : "/console/sign-in"), "\(page)")
            }
            let wrong = try await b.signIn("kw_live_notakeyatallnotakeyatallnotakey00")
            #expect(wrong.status == 401 && wrong.body.contains("not a valid management key"))
            #expect(b.cookies["keyward_session"] == nil)
            // A key of a customer identity is no management key.
            let idn = try await s.createIdentity()
            let customer = try await s.issueKey(identity: idn)
            #expect(try await b.signIn(customer.key).status == 401)
            #expect(b.cookies["keyward_session"] == nil)

            let ok = try await b.signIn(s.adminKey)
            #expect(ok.status == 303 && ok.headers["location"] == "/console/")
            let cookie = try #require(b.setCookies.first { $0.hasPrefix("keyward_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=28800") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"))
            #expect(b.cookies["keyward_signin"] == nil, "the sign-in token is spent")
            for page in Self.pages {
                let r = try await b.get(page)
                #expect(r.status == 200, "\(page): \(r.body.prefix(300))")
                #expect(r.body.contains("id=\"sign-out\""))
            }
            // Signing in is audited, naming the key and a prefix of the session's hash, never the cookie.
            let audit = try await s.auditRecords().filter { $0.action == "console.signed_in" }
            #expect(audit.count == 1 && audit[0].actor.hasPrefix("key:key_"))
            #expect(!audit[0].target.contains(b.cookies["keyward_session"]!) && !audit[0].details.contains(b.cookies["keyward_session"]!))
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("wrong keys at the sign-in form are charged to the address's failure bucket, like wrong bearer keys: the form is no guessing oracle")
    func signInGuessing() async throws {
        // Five failures an hour: a bucket that refills far slower than this test runs, however loaded the machine.
        try await TestServer.with(configure: { $0.rateLimits.failure = .per(5, seconds: 3_600, burst: 5) }) { s in
            var b = ConsoleClient(s)
            var statuses: [Int] = []
            for i in 0..<10 {
                statuses.append(try await b.signIn("kw_live_guess\(i)guessguessguessguessguessguess").status)
            }
            #expect(statuses.prefix(5).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(5).allSatisfy { $0 == 429 }, "\(statuses)")
            #expect(try await b.signIn(s.adminKey).status == 429, "refused before the key is even checked")
        }
    }

    @Test("every page and redirect forbids framing, scripts and caching; a missing page is a 404 page, not a crash")
    func headers() async throws {
        try await TestServer.with { s in
            var b = ConsoleClient(s)
            for page in ["/console/sign-in", "/console/"] {
                let r = try await b.get(page)
                #expect(r.headers["x-frame-options"] == "DENY", "\(page)")
                #expect(r.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
                #expect(r.headers["content-security-policy"]?.contains("default-src 'none'") == true)
                #expect(r.headers["content-security-policy"]?.contains("script-src") == false, "no script source is allowed at all")
                #expect(r.headers["cache-control"] == "no-store")
                #expect(r.headers["x-content-type-options"] == "nosniff")
            }
            try await b.signIn(s.adminKey)
            for page in Self.pages {
                let r = try await b.get(page)
                #expect(r.headers["x-frame-options"] == "DENY" && r.headers["cache-control"] == "no-store", "\(page)")
                #expect(!r.body.contains("<script"), "\(page) has a script")
            }
            // A key is shown on its identity's page: its own URL leads there.
            let idn = try await s.createIdentity()
            let key = try await s.issueKey(identity: idn)
            let byKey = try await b.get("/console/keys/\(key.id)")
            #expect(byKey.status == 303 && byKey.headers["location"] == "/console/identities/\(idn)#key-\(key.id)")
            #expect(try await b.get("/console/keys/key_ffffffffffffffffffffffffffffffff").status == 404)
            let missing = try await b.get("/console/identities/idn_ffffffffffffffffffffffffffffffff")
            #expect(missing.status == 404 && missing.body.contains("Not found"))
            #expect(try await b.get("/console/incidents/not-an-id").status == 404)
            // The posture report downloads as one self-contained file.
            let report = try await b.get("/console/posture/report")
            #expect(report.status == 200 && report.headers["content-disposition"]?.hasPrefix("attachment; filename=\"keyward-posture-") == true)
            #expect(report.body.contains("OWASP") && !report.body.contains("<script") && !report.body.contains("src=\"http"))
            let css = try await b.get("/console/static/console.css")
            #expect(css.status == 200 && css.headers["content-type"]?.hasPrefix("text/css") == true)
        }
    }

    @Test("a form without its CSRF token, with another session's, or from another origin changes nothing; nor does a sign-in without the form's token")
    func csrf() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let key = try await s.issueKey(identity: idn)
            var b = ConsoleClient(s)
            try await b.signIn(s.adminKey)
            var other = ConsoleClient(s)
            try await other.signIn(s.adminKey)
            let otherToken = try #require(ConsoleClient.csrf(in: try await other.get("/console/identities/\(idn)").body))
            let page = try await b.get("/console/identities/\(idn)")
            let token = try #require(ConsoleClient.csrf(in: page.body))
            #expect(token != otherToken)
            #expect(page.body.contains("id=\"revoke-\(key.id)\""))

            let path = "/console/keys/\(key.id)/revoke"
            #expect(try await b.post(path, [("reason", "no token")]).status == 403)
            #expect(try await b.post(path, [("csrf", otherToken), ("reason", "another session's token")]).status == 403)
            #expect(try await b.post(path, [("csrf", String(repeating: "0", count: 64)), ("reason", "forged")]).status == 403)
            b.origin = "http://evil.example"
            #expect(try await b.post(path, [("csrf", token), ("reason", "cross-site")]).status == 403)
            b.origin = "null"
            #expect(try await b.post(path, [("csrf", token), ("reason", "opaque origin")]).status == 403)
            #expect(try await s.verify(key.key)["valid"] as? Bool == true, "no refused form revoked the key")
            // Sign-out is a form too: without its token the session lives on.
            b.origin = s.baseURL
            #expect(try await b.post("/console/sign-out", []).status == 403)
            #expect(try await b.get("/console/").status == 200)

            // Login CSRF: a sign-in post without the form's own token (another site's form) opens no session.
            var c = ConsoleClient(s)
            let r = try await c.post("/console/sign-in", [("key", s.adminKey)])
            #expect(r.status == 403 && c.cookies["keyward_session"] == nil)

            b.origin = s.baseURL
            let done = try await b.post(path, [("csrf", token), ("reason", "retired")])
            #expect(done.status == 303 && done.headers["location"] == "/console/identities/\(idn)?done=key-revoked")
            #expect(try await s.verify(key.key)["valid"] as? Bool == false)
        }
    }

    @Test("a session ends after 30 idle minutes, 8 hours after sign-in, at sign-out (everywhere: its cookie is dead), and when its key is revoked")
    func expiry() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock) { s in
            var b = ConsoleClient(s)
            try await b.signIn(s.adminKey)
            clock.advance(by: 29 * 60)
            #expect(try await b.get("/console/").status == 200)
            clock.advance(by: 29 * 60)
            #expect(try await b.get("/console/").status == 200, "idle time counts from the last page")
            clock.advance(by: 31 * 60)
            #expect(try await b.get("/console/").headers["location"] == "/console/sign-in")

            // Absolute: used every 25 minutes, it still ends 8 hours after sign-in.
            try await b.signIn(s.adminKey)
            var alive = 0
            for _ in 0..<19 {
                clock.advance(by: 25 * 60)
                if try await b.get("/console/audit").status == 200 { alive += 1 }
            }
            #expect(alive == 19) // 7 h 55 min
            clock.advance(by: 6 * 60)
            #expect(try await b.get("/console/audit").status == 303)

            // Sign-out revokes server-side: the same cookie replayed is refused.
            try await b.signIn(s.adminKey)
            let saved = b.cookies
            let token = try #require(ConsoleClient.csrf(in: try await b.get("/console/").body))
            let out = try await b.post("/console/sign-out", [("csrf", token)])
            #expect(out.status == 303 && out.headers["location"] == "/console/sign-in")
            #expect(b.setCookies.contains { $0.hasPrefix("keyward_session=") && $0.contains("Max-Age=0") })
            b.cookies = saved
            #expect(try await b.get("/console/").status == 303)
            #expect(try await s.auditRecords().contains { $0.action == "console.signed_out" })

            // Revoking the management key ends its sessions.
            let reply = try await s.request("POST", "/v1/keys", body: #"{"identity_id":"idn_00000000000000000000000000000000","scopes":["keyward:admin"],"environment":"live","ttl_seconds":86400}"#, issuing: true)
            let second = try #require(reply.json()["key"] as? String)
            s.ledger.record(second)
            try await b.signIn(second)
            #expect(try await b.get("/console/").status == 200)
            #expect(try await s.request("POST", "/v1/keys/\(reply.json()["id"] as! String)/revoke", body: #"{"reason":"rotated out"}"#).status == 200)
            #expect(try await b.get("/console/").status == 303)
            #expect(try await s.leakReport().isEmpty)
        }
    }

    @Test("a read-only key sees pages without forms that change anything, and its posts are refused")
    func readOnly() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity()
            let key = try await s.issueKey(identity: idn)
            let reply = try await s.request("POST", "/v1/keys", body: #"{"identity_id":"idn_00000000000000000000000000000000","scopes":["keyward:read"],"environment":"live","ttl_seconds":86400}"#, issuing: true)
            let reader = try #require(reply.json()["key"] as? String)
            s.ledger.record(reader)
            var b = ConsoleClient(s)
            #expect(try await b.signIn(reader).status == 303)
            let page = try await b.get("/console/identities/\(idn)")
            #expect(page.status == 200 && page.body.contains("read-only"))
            for form in ["issue-form", "revoke-\(key.id)", "rotate-\(key.id)", "confirm-identity"] {
                #expect(!page.body.contains("id=\"\(form)\""), "a read-only page shows \(form)")
            }
            let token = try #require(ConsoleClient.csrf(in: page.body)) // the sign-out form's
            let r = try await b.post("/console/keys/\(key.id)/revoke", [("csrf", token), ("reason", "read-only try")])
            #expect(r.status == 403 && r.body.contains("read-only"))
            let issue = try await b.post("/console/identities/\(idn)/keys", [("csrf", token), ("scopes", "payments:read")])
            #expect(issue.status == 403)
            #expect(try await s.verify(key.key)["valid"] as? Bool == true)
        }
    }

    @Test("issue, rotate and revoke through the console: the secret is on its one issuing page only, never in another page, a cookie, the audit or the log")
    func keyLifecycle() async throws {
        try await TestServer.with { s in
            let idn = try await s.createIdentity(scopes: ["payments:read", "payments:write"])
            var b = ConsoleClient(s)
            try await b.signIn(s.adminKey)
            let token = try #require(ConsoleClient.csrf(in: try await b.get("/console/identities/\(idn)").body))
            let issued = try await b.post("/console/identities/\(idn)/keys",
                                          [("csrf", token), ("scopes", "payments:read"), ("environment", "live"), ("ttl_days", "30"), ("name", "console")],
                                          issuing: true)
            #expect(issued.status == 201 && issued.headers["cache-control"] == "no-store")
            let secret = try #require(issued.body.firstMatch(of: /id="secret">(kw_live_[A-Za-z0-9]+)</).map { String($0.output.1) })
            s.ledger.record(secret)
            let keyID = try #require(issued.body.firstMatch(of: /id="issued-key-id">(key_[0-9a-f]+)</).map { String($0.output.1) })
            #expect(try await s.verify(secret, scopes: ["payments:read"])["valid"] as? Bool == true)
            // Bad input is a page with the reason, and issues nothing.
            let bad = try await b.post("/console/identities/\(idn)/keys", [("csrf", token), ("scopes", "admin:everything"), ("environment", "live")])
            #expect(bad.status == 422 || bad.status == 400 || bad.status == 403, "\(bad.status)")
            #expect(bad.body.contains("id=\"message\""))
            let badTTL = try await b.post("/console/identities/\(idn)/keys", [("csrf", token), ("scopes", "payments:read"), ("ttl_days", "-3")])
            #expect(badTTL.status == 422)

            let rotated = try await b.post("/console/keys/\(keyID)/rotate", [("csrf", token)], issuing: true)
            #expect(rotated.status == 201)
            let next = try #require(rotated.body.firstMatch(of: /id="secret">(kw_live_[A-Za-z0-9]+)</).map { String($0.output.1) })
            s.ledger.record(next)
            #expect(next != secret && rotated.body.contains("Previous version valid until"))
            let revoked = try await b.post("/console/keys/\(keyID)/revoke", [("csrf", token), ("reason", "done with it")])
            #expect(revoked.status == 303)
            let after = try await b.get("/console/identities/\(idn)?done=key-revoked")
            #expect(after.body.contains("id=\"flash\"") && after.body.contains("revoked"))
            #expect(try await s.verify(next)["valid"] as? Bool == false)
            for page in Self.pages + ["/console/identities/\(idn)"] { _ = try await b.get(page) }
            #expect(!b.cookies.values.contains { $0.contains("kw_") })
            let actions = try await s.auditRecords().filter { $0.target == keyID }.map(\.action)
            #expect(actions == ["key.issued", "key.rotated", "key.revoked"])
            #expect(try await s.leakReport().isEmpty, "a secret reached a page other than its issuing one, the store, the log or the audit")
        }
    }

    @Test("the review policy is configuration: with a 10-day period an identity is due on day 10, listed on the reviews page, and confirmed from it")
    func reviewPolicy() async throws {
        let clock = ManualClock()
        try await TestServer.with(clock: clock, configure: { $0.reviewPolicy = ReviewPolicy(days: 10, thirdPartyDays: 5) }) { s in
            let idn = try await s.createIdentity(name: "ledger-sync")
            var b = ConsoleClient(s)
            try await b.signIn(s.adminKey)
            #expect(try await b.get("/console/reviews").body.contains("every 10 days (5 for third parties)"))
            #expect(try await b.get("/console/reviews").body.contains("ledger-sync"), "due within the page's 30-day horizon")
            clock.advance(by: 11 * 86_400)
            try await b.signIn(s.adminKey)
            let page = try await b.get("/console/reviews")
            #expect(page.body.contains("overdue 1 d"))
            let p = try await s.request("GET", "/v1/posture").text
            #expect(p.contains("review overdue"))
            let token = try #require(ConsoleClient.csrf(in: page.body))
            let done = try await b.post("/console/identities/\(idn)/confirm", [("csrf", token), ("back", "reviews")])
            #expect(done.status == 303 && done.headers["location"] == "/console/reviews?done=confirmed")
            let after = try await b.get("/console/reviews?done=confirmed")
            #expect(after.body.contains("id=\"flash\"") && !after.body.contains("overdue 1 d"))
            #expect(try await s.auditRecords().contains { $0.action == "identity.confirmed" && $0.target == idn })
        }
    }

    @Test("user-controlled fields (identity names, labels, purposes, owners, incident details) are escaped on every page")
    func escaping() async throws {
        // Leak intelligence with the plaintext, as a loopback reporter sends it when the server allows it.
        try await TestServer.with(configure: { $0.acceptPlaintextFromLoopback = true }) { s in
            let payload = #"<script>alert(1)</script>"><img src=x onerror=alert(2)>'"#
            let body = Self.json([
                "name": "xss" + payload, "kind": "service", "technical_owner": "o" + payload, "business_owner": "b" + payload,
                "purpose": "p" + payload, "environment": "production", "allowed_scopes": ["payments:read"], "labels": ["team": "t" + payload],
            ])
            let r = try await s.request("POST", "/v1/identities", body: body)
            #expect(r.status == 201, "\(r.text)")
            let idn = try #require(r.json()["id"] as? String)
            let key = try await s.issueKey(identity: idn, scopes: ["payments:read"])
            // A leak report whose details carry the payload opens an incident.
            let leak = try await s.request("POST", "/v1/exposures", body: Self.json([
                "source": "paste", "items": [["rule_id": "keyward.live-key", "secret": key.key, "path": "a" + payload, "url": "https://paste.example/x?q=" + payload]],
            ]))
            #expect(leak.status == 200 || leak.status == 202, "\(leak.text)")
            var b = ConsoleClient(s)
            try await b.signIn(s.adminKey)
            let incidents = try await b.get("/console/incidents")
            let incident = try #require(incidents.body.firstMatch(of: /href="\/console\/incidents\/(inc_[0-9a-f]+)"/).map { String($0.output.1) })
            for page in Self.pages + ["/console/identities/\(idn)", "/console/incidents/\(incident)"] {
                let r = try await b.get(page)
                #expect(r.status == 200, "\(page)")
                #expect(!r.body.contains("<script>") && !r.body.contains("<img src=x"), "\(page) shows the payload unescaped")
            }
            let detail = try await b.get("/console/identities/\(idn)").body
            #expect(detail.contains("xss&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;"))
            #expect(detail.contains("t&lt;script&gt;"))
        }
    }
}
