import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// Cases 1–18 of docs/security-cases.md: `private_key_jwt` client assertions at `POST /oauth/token`,
/// sent over HTTP by oauth_driver.py (requests-oauth2client for the controls, forged JWS otherwise).
/// Each test ends with the driver's leak check: no assertion, proof or token in logs, audit or store.
@Suite("OAuth client assertions: cases 1–18 at the token endpoint")
struct OAuthClientAssertionTests {
    typealias A = DriverAnswers

    // case 1, case 2, case 17 of docs/security-cases.md
    @Test("cases 1, 2, 17: alg none, HS256 keyed with the RS256 client's public key (PEM, DER, JWK), zero, DER, padded and whitespace signatures get 401 invalid_client; failures are audited by fingerprint only")
    func signatures() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("signature")
            #expect(r.status("control_ec") == 200 && r.status("control_rsa") == 200, "requests-oauth2client gets tokens with ES256 and RS256")
            for name in ["none", "none_kid", "es256_empty_sig", "hs256_pem", "hs256_der", "hs256_jwk", "zeros", "zeros_client_id", "der", "padded", "whitespace", "newline"] {
                #expect(r.outcome(name) == A.invalidClient, "\(name)")
                #expect(r.bool(name, "has_token") == false, "\(name): no token")
                #expect(r.string(name, "www_authenticate")?.contains("invalid_client") == true, "\(name)")
            }
            // case 1: the failure is audited with the assertion's fingerprint, never its text.
            let failures = try await s.auditRecords().filter { $0.action == "client.auth_failed" }
            #expect(failures.count >= 12)
            let clientID = try #require(r.json["client_id"] as? String)
            #expect(failures.contains { $0.target == clientID }, "a failure naming its client_id in the form is audited against that client")
            for f in failures {
                let details = try #require(try JSONSerialization.jsonObject(with: Data(f.details.utf8)) as? [String: Any])
                #expect((details["assertion_fingerprint"] as? String)?.isEmpty == false, "\(f.details)")
                #expect(!f.details.contains("eyJ"), "no JWS text in the audit record")
            }
            #expect(try await s.auditChainIsValid())
        }
    }

    // case 3, case 4 of docs/security-cases.md
    @Test("cases 3, 4: aud naming another AS or tenant, a list adding an attacker, [], null or a number: 401 invalid_client with one answer for every shape")
    func audience() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("audience")
            let refused = ["other_as", "other_tenant", "issuer_with_attacker", "attacker_with_issuer", "empty_list", "null", "number"]
            for name in refused { #expect(r.outcome(name) == A.invalidClient, "\(name)") }
            // One answer for every shape: the same description whatever aud held.
            #expect(Set(refused.map { r.string($0, "description") ?? "" }).count == 1)
            #expect(r.outcome("issuer") == A.ok && r.outcome("endpoint_list") == A.ok, "the issuer, and the endpoint as a one-element list, are accepted")
        }
    }

    // case 5, case 6 of docs/security-cases.md
    @Test("cases 5, 6: exp missing, 61 s past, a year ahead or a string is refused; iat/nbf 10 s ahead accepted, 61 s ahead refused")
    func times() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("times")
            for name in ["exp_missing", "exp_61_past", "exp_year", "exp_string", "iat_plus61", "nbf_plus61"] {
                #expect(r.outcome(name) == A.invalidClient, "\(name)")
            }
            #expect(r.outcome("iat_plus10") == A.ok)
            #expect(r.outcome("nbf_plus10") == A.ok)
        }
    }

    // case 7 of docs/security-cases.md
    @Test("case 7: an assertion sent twice, or its ECDSA signature malleated to (r, n−s), is used once: replay is keyed on (iss, jti)")
    func replay() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("replay")
            #expect(r.outcome("first") == A.ok)
            #expect(r.outcome("again") == A.invalidClient)
            #expect(r.outcome("malleated") == A.invalidClient)
            // The malleated copy is a valid signature, so whichever copy comes first wins, once.
            #expect(r.outcome("malleated_first") == A.ok)
            #expect(r.outcome("original_after_malleated") == A.invalidClient)
        }
    }

    // case 8, case 9 of docs/security-cases.md
    @Test("cases 8, 9: jti missing, a number or 10 KiB (never stored); iss≠sub, another client's sub, an unknown sub, form client_id≠sub: 401 invalid_client")
    func jtiAndSubject() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("jti-subject")
            for name in ["jti_missing", "jti_10k", "jti_number", "iss_ne_sub", "sub_other_client", "sub_unknown", "form_client_id"] {
                #expect(r.outcome(name) == A.invalidClient, "\(name)")
            }
            #expect(r.outcome("form_client_id_same") == A.ok, "a form client_id equal to sub is fine")
            // The 10 KiB jti is in the ledger: the leak check below proves it is in no store file or log.
        }
    }

    // case 10, case 11, case 14, case 15, case 16 of docs/security-cases.md
    @Test("cases 10, 11, 14, 15, 16: Basic plus an assertion is 400 invalid_request; two JWTs, a wrong type, crit, duplicate members, access tokens and DPoP proofs are refused, never a 5xx")
    func shapes() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("shape")
            #expect(r.outcome("basic_and_assertion") == A.refused(400, "invalid_request"))
            #expect(r.bool("basic_and_assertion", "has_token") == false)
            for name in ["two_jwts_space", "two_jwts_comma", "two_jwts_joined", "two_params", "wrong_type"] {
                let o = r.outcome(name)
                #expect(o == A.invalidClient || o == A.refused(400, "invalid_request"), "\(name): \(o)")
            }
            #expect(r.outcome("two_params") == A.refused(400, "invalid_request"))
            #expect(r.outcome("wrong_type") == A.refused(400, "invalid_request"))
            for name in ["crit_ext", "crit_empty", "dup_sub_same", "dup_sub_other_first", "dup_alg", "dup_alg_same",
                         "access_token", "dpop_proof", "dpop_proof_typed", "at_jwt_typed"] {
                #expect(r.outcome(name) == A.invalidClient, "\(name)")
            }
        }
    }

    // case 12 of docs/security-cases.md (the query log)
    @Test("case 12: on PostgreSQL logging every statement and its parameters, the path-like and SQL-like kids reach no query (keys come from the in-memory client index)")
    func kidReachesNoQuery() async throws {
        let pg = try PostgresServer.instance()
        let url = try pg.createDatabase()
        // Only this database's sessions log statements (with their bind parameters).
        try pg.superuserSQL("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET log_statement = ''all''', current_database()); END $$", in: url)
        let log = URL(fileURLWithPath: pg.dataDirectory).deletingLastPathComponent().appendingPathComponent("log").path
        try await TestServer.with(database: url) { s in
            let d = try await OAuthDriver(s)
            defer { d.remove() }
            let r = try await d.run("keys", ["http://127.0.0.1:9"])
            for name in ["kid_path", "kid_sql"] { #expect(r.outcome(name) == A.invalidClient, "\(name)") }
            try await d.expectNoLeak()
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("oauth_clients"), "the statement log is on: it shows the client registrations")
        #expect(text.contains("parameters: "), "bound parameters are logged too")
        #expect(!text.contains("../../dev/null"), "a path-like kid reached a query")
        #expect(!text.contains("OR 1=1"), "an SQL-like kid reached a query")
    }

    // case 12, case 13 of docs/security-cases.md
    @Test("cases 12, 13: unknown, path-like and SQL-like kids get 401 with no fallback to the registered key; jku, x5u, jwk and x5c are refused and the listener sees no request")
    func keySources() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        try await OAuthDriver.with { s, d in
            let r = try await d.run("keys", ["http://127.0.0.1:\(listener.port)"])
            // Each is signed by the client's registered key: accepting it would be a fallback.
            for name in ["kid_unknown", "kid_path", "kid_sql", "kid_number"] { #expect(r.outcome(name) == A.invalidClient, "\(name)") }
            #expect(r.outcome("no_kid") == A.ok, "without a kid the registered key is tried (control)")
            #expect(r.outcome("no_kid_attacker") == A.invalidClient)
            for name in ["jku", "x5u", "jwk", "x5c"] {
                #expect(r.outcome(name) == A.invalidClient, "\(name)")
                #expect(r.outcome(name + "_registered_key") == A.invalidClient, "\(name) beside a registered kid")
            }
            #expect(listener.connections() == 0, "no outbound request to a jku or x5u")
            // The client's registration is untouched by the SQL-like kid.
            let clients = try await s.request("GET", "/v1/clients?identity_id=\(d.identity)")
            #expect((clients.json()["items"] as? [[String: Any]])?.count == 1)
        }
    }

    // case 18 of docs/security-cases.md
    @Test("case 18: a 1 MiB assertion is 413; 10,000-deep JSON is 400 at registration and 401 in an assertion; JWE, PBES2 and enc headers are refused; the server serves on")
    func hostile() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("hostile")
            #expect(r.outcome("one_mib") == A.refused(413, "invalid_request"))
            for name in ["deep_payload", "deep_header", "jwe", "pbes2", "enc_header"] { #expect(r.outcome(name) == A.invalidClient, "\(name)") }
            #expect(r.status("deep_registration") == 400)
            #expect(r.string("deep_registration", "type") == "urn:keyward:error:request:bad_request")
            #expect(r.status("after") == 200, "a good client still gets a token afterwards")
        }
    }
}
