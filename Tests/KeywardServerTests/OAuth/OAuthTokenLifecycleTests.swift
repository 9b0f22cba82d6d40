import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import Testing

/// Cases 19, 24, 38–50 of docs/security-cases.md: registration, the token endpoint's answers,
/// audiences, introspection, revocation, a store fault during revocation, and the client cascade.
@Suite("OAuth registration, token endpoint, introspection and revocation: cases 19, 24, 38–50")
struct OAuthTokenLifecycleTests {
    typealias A = DriverAnswers

    // case 19, case 24, case 42 of docs/security-cases.md
    @Test("cases 19, 24, 42: 1024-bit RSA, alg-less, private and symmetric JWKs, subject_dn with san_dns, and a caller-chosen client_id or secret are 422 problem+json; a token's sub is the cli_ client id")
    func registration() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("registration")
            let refusals = ["rsa_1024": "2048", "no_alg": "alg", "private_d": "(d)", "oct": "private key member",
                            "both_dn_and_san": "not both", "client_id_human": "client_id", "client_id_reserved": "client_id",
                            "client_secret": "client_secret"]
            for (name, mention) in refusals {
                #expect(r.status(name) == 422, "\(name)")
                #expect(r.string(name, "content_type") == "application/problem+json", "\(name)")
                #expect(r.string(name, "type") == "urn:keyward:error:request:validation", "\(name)")
                #expect(r.string(name, "detail")?.contains(mention) == true, "\(name): \(r.string(name, "detail") ?? "")")
            }
            #expect(r.status("control") == 201)
            #expect(r.bool("token_subject", "sub_is_client") == true)
            #expect(r.string("token_subject", "sub_prefix") == "cli_")
            // No client was registered by any refused request: only the control and the token test's.
            let list = try await s.request("GET", "/v1/clients?identity_id=\(d.identity)")
            #expect((list.json()["items"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test("token lifetime: 5 minutes by default, what serve --token-lifetime-seconds sets up to an hour; more than an hour exits 2")
    func tokenLifetime() async throws {
        let dir = try TempDirectory("keyward-token-lifetime")
        defer { dir.remove() }
        for (configured, expected) in [(nil, 300), (Duration.seconds(1_800), 1_800)] as [(Duration?, Int)] {
            try await TestServer.with(configure: { if let configured { $0.tokenLifetime = configured } }) { s in
                let idn = try await s.createIdentity()
                let c = try await OAuthTestClient.register(base: s.baseURL, admin: s.adminKey, identity: idn, scope: "payments:read", tokens: 1,
                                                           folder: dir.path)
                s.ledger.record(c.tokens[0])
                let payload = try #require(c.tokens[0].split(separator: ".").dropFirst().first)
                var b64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                while b64.count % 4 != 0 { b64 += "=" }
                let data = try #require(Data(base64Encoded: b64))
                let claims = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                let iat = try #require(claims["iat"] as? Int), exp = try #require(claims["exp"] as? Int)
                #expect(exp - iat == expected)
            }
        }
        let tooLong = try await KeywardBinary.run(["serve", "--data-dir", dir.file("data"), "--token-lifetime-seconds", "7200"])
        #expect(tooLong.status == 2)
        #expect(tooLong.stderr.contains("token-lifetime-seconds"), "\(tooLong.stderr)")
    }

    // case 38, case 39, case 40, case 41 of docs/security-cases.md
    @Test("cases 38–41: grant_type twice is 400 invalid_request, GET 405, password 400 unsupported_grant_type; a wider scope 400 invalid_scope; success has no refresh_token and no-store; another audience is valid:false and inactive")
    func tokenEndpoint() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("endpoint")
            #expect(r.outcome("grant_twice") == A.refused(400, "invalid_request"))
            #expect(r.status("get") == 405)
            #expect(r.outcome("password") == A.refused(400, "unsupported_grant_type"))
            #expect(r.outcome("scope_wider") == A.refused(400, "invalid_scope"))
            #expect(r.outcome("scope_other") == A.refused(400, "invalid_scope"))
            #expect(r.outcome("scope_own") == A.ok)
            for name in ["grant_twice", "password", "scope_wider"] { #expect(r.bool(name, "has_token") == false, "\(name)") }
            // case 40
            #expect(r.outcome("success") == A.ok)
            #expect(r.bool("success", "has_refresh_token") == false)
            #expect(r.string("success", "cache_control") == "no-store")
            #expect(r.string("success", "token_type") == "Bearer")
            // case 41
            #expect(r.bool("verify_default_audience", "valid") == true)
            #expect(r.bool("verify_other_audience", "valid") == false)
            #expect(r.string("verify_other_audience", "reason") == "wrong_audience")
            #expect(r.bool("introspect_other_resource", "active") == false)
        }
    }

    // case 43, case 44, case 45 of docs/security-cases.md
    @Test("cases 43–45: introspection without credentials is 401, without keyward:verify 403, revealing nothing; expired, revoked, unknown and other-audience tokens get byte-identical {\"active\":false}; GET is 405 and logs no token")
    func introspection() async throws {
        let clock = ManualClock(Date())
        try await OAuthDriver.with(clock: clock) { s, d in
            // The driver signs assertions on the real clock: bring the manual one up to it first (starting the
            // server can take a while on a loaded machine, and an assertion from 60 s ahead is refused).
            clock.advance(by: max(0, Date().timeIntervalSince(clock.now)))
            let r = try await d.run("introspection")
            #expect(r.status("live") == 200 && r.string("live", "body")?.contains(#""active":true"#) == true)
            #expect(r.status("live_with_verify_key") == 200, "a resource server's keyward:verify key may introspect")
            // case 43
            #expect(r.status("no_credentials") == 401)
            #expect(r.status("service_key") == 401)
            #expect(r.status("without_verify_scope") == 403)
            for name in ["no_credentials", "service_key", "without_verify_scope"] {
                let body = r.string(name, "body") ?? ""
                #expect(!body.contains("active") && !body.contains("cli_") && !body.contains("atk_"), "\(name) reveals nothing: \(body)")
            }
            // case 44: the expired one after the clock passes its five minutes.
            clock.advance(by: 301)
            let later = try await d.run("introspection-expired")
            #expect(later.string("verify", "reason") == "expired")
            let bodies = ["revoked", "unknown", "other_audience", "garbage"].map { r.string($0, "body") } + [later.string("expired", "body")]
            #expect(bodies.allSatisfy { $0 == #"{"active":false}"# }, "\(bodies)")
            for name in ["revoked", "unknown", "other_audience", "garbage"] { #expect(r.status(name) == 200) }
            #expect(later.status("expired") == 200)
            // case 45: the token in the query of the GET is in the ledger, so the leak check covers the request log.
            #expect(r.status("get") == 405)
        }
    }

    // case 46, case 47, case 48 of docs/security-cases.md
    @Test("cases 46–48: revoking garbage is 200 with an empty body; client B revoking A's token is a 200 no-op and A's token stays active; a wrong token_type_hint still revokes")
    func revocation() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("revocation")
            #expect(r.status("garbage") == 200 && r.bool("garbage", "body_empty") == true)
            #expect(r.json["garbage_library"] as? Bool == true, "requests-oauth2client reads the answer as success")
            #expect(r.status("b_revokes_a") == 200)
            #expect(r.bool("b_revokes_a", "a_active") == true)
            #expect(r.status("wrong_hint") == 200)
            #expect(r.bool("wrong_hint", "active") == false)
            #expect(r.string("wrong_hint", "verify") == "revoked")
            #expect(r.bool("own", "active") == false)
            let revoked = try await s.auditRecords().filter { $0.action == "token.revoked" }
            #expect(revoked.count == 2, "B's attempt revoked nothing")
        }
    }

    // case 49 of docs/security-cases.md
    @Test("case 49: while another process holds the SQLite write lock, revocation and the token endpoint answer 503 + Retry-After and change nothing; a retry revokes, a second retry is a no-op")
    func storeFault() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("store-fault")
            for name in ["revoke_locked", "token_locked", "admin_revoke_locked"] {
                #expect(r.outcome(name) == A.refused(503, "temporarily_unavailable"), "\(name)")
                #expect(r.string(name, "retry_after") != nil, "\(name): Retry-After")
                #expect(r.bool(name, "has_token") == false)
            }
            #expect(r.json["active_while_locked"] as? Bool == true, "no false success: the token was not revoked")
            #expect(r.status("revoke_retry") == 200 && r.bool("revoke_retry", "body_empty") == true)
            #expect(r.json["active_after"] as? Bool == false)
            #expect(r.status("revoke_again") == 200)
            #expect(r.json["verify_after"] as? String == "revoked")
            #expect(try await s.auditRecords().filter { $0.action == "token.revoked" }.count == 1, "revoked once")
            #expect(try await s.auditChainIsValid())
        }
    }

    // case 50 of docs/security-cases.md
    @Test("case 50: revoking a client with 5 live tokens revokes all 5 in one call; each introspects inactive and verifies revoked at once; the client gets no new token")
    func cascade() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("cascade")
            #expect(r.json["valid_before"] as? [Bool] == Array(repeating: true, count: 5))
            #expect(r.json["revoke_status"] as? Int == 200)
            #expect(r.json["tokens_revoked"] as? Int == 5)
            #expect(r.json["active_after"] as? [Bool] == Array(repeating: false, count: 5))
            #expect(r.json["verify_after"] as? [String] == Array(repeating: "revoked", count: 5))
            #expect(r.outcome("new_token") == A.invalidClient)
        }
    }
}
