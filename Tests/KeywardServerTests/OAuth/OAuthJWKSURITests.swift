import Foundation
import KeywardCore
import KeywardOAuth
import KeywardServer
import KeywardTesting
import Testing

/// `private_key_jwt` clients whose keys live at a `jwks_uri`, and case 20 of docs/security-cases.md:
/// oauth_jwks.py runs the client's JWKS server on loopback (http.server), registers clients by URL
/// and fetches tokens with requests-oauth2client or forged assertions.
@Suite("OAuth jwks_uri clients: case 20")
struct OAuthJWKSURITests {
    typealias A = DriverAnswers

    /// Loopback is allowed only by naming 127.0.0.1 exactly; the metadata address is on the list so
    /// that the address rule, not the allow-list, is what refuses it. A 5 s timeout: the stalling
    /// server is given up after it, and no test waits on a clock of its own. (1 s was too short
    /// under CI load: the 50 MB chunked body sometimes had not sent its first 64 KiB by then, so
    /// the answer named the timeout instead of the size cap.)
    static func configure(_ c: inout ServerConfiguration) {
        c.jwks.allowList = try! JWKSAllowList(["127.0.0.1", "169.254.169.254", "::ffff:169.254.169.254", ".corp.example"])
        c.jwks.timeout = .seconds(5)
    }

    @Test("a client registered by jwks_uri gets a token; a new kid at its JWKS is fetched once and works; a flood of unknown kids fetches nothing more; the key rotated out is refused")
    func rotation() async throws {
        try await OAuthDriver.with(configure: Self.configure) { s, d in
            let r = try await d.run("jwks-uri")
            #expect(r.bool("registered", "jwks_uri_echoed") == true, "the answer shows jwks_uri")
            #expect(r.bool("registered", "thumbprints_match") == true, "the fetched key's RFC 7638 thumbprint is stored, as joserfc computes it")
            #expect(r.bool("shown", "jwks_uri_echoed") == true, "GET /v1/clients/{id} shows jwks_uri")
            #expect(r.status("first") == 200, "requests-oauth2client gets a token with the key published at the URL")
            #expect(r.json["hits_after_first"] as? Int == 1, "registration fetched once; the first token used the cached set")
            #expect(r.status("rotated") == 200, "a key with a new kid at the JWKS is picked up")
            #expect(r.json["hits_after_rotation"] as? Int == 2)
            #expect(r.bool("keys_after_rotation", "thumbprints") == true,
                    "the key picked up at the jwks_uri is recorded with the registered one (its leak is matched to the client)")
            for i in 0..<5 { #expect(r.outcome("flood_\(i)") == A.invalidClient, "unknown kid \(i)") }
            #expect(r.json["hits_after_flood"] as? Int == 2, "unknown kids within 30 s of a fetch fetch nothing: no request amplifier")
            #expect(r.outcome("old_key") == A.invalidClient, "the key removed from the JWKS no longer authenticates")
            let clientID = try #require(r.json["client_id"] as? String)
            let registered = try await s.auditRecords().first { $0.action == "client.registered" && $0.target == clientID }
            #expect(registered?.details.contains("jwks_uri") == true)
            let added = try await s.auditRecords().filter { $0.action == "client.keys_added" && $0.target == clientID }
            #expect(added.count == 1, "the rotation is audited once, by thumbprint")
        }
    }

    @Test("case 20 at registration: a redirect to 169.254.169.254 or elsewhere, 50 MB declared or streamed, a stall past the timeout, HTML, a private key, bad JSON, a host off the allow-list, a link-local or IPv4-mapped metadata address, plain http off loopback and userinfo are 422 naming the reason; no redirect is followed")
    func registration() async throws {
        try await OAuthDriver.with(configure: Self.configure) { s, d in
            let r = try await d.run("jwks-uri-registration")
            let reasons: [(String, String)] = [
                ("redirect_metadata", "redirects are not followed"), ("redirect_local", "redirects are not followed"),
                ("big", "larger than 64 KiB"), ("big_chunked", "larger than 64 KiB"), ("stall", "in time"),
                ("html", "not JSON"), ("private", "private key"), ("not_json", "not acceptable"),
                ("off_list", "allow-list"), ("metadata_literal", "link-local"), ("mapped_metadata", "link-local"),
                ("plain_http_remote", "https"), ("both", "one way"),
            ]
            for (name, reason) in reasons {
                #expect(r.status(name) == 422, "\(name): \(r[name])")
                #expect(r.string(name, "detail")?.contains(reason) == true, "\(name): \(r.string(name, "detail") ?? "-")")
            }
            #expect(r.status("userinfo") == 422)
            for name in ["redirect_metadata", "redirect_local", "big", "big_chunked", "stall", "html", "private", "not_json"] {
                #expect(r[name]["hits"] as? Int == 1, "\(name): fetched once, never retried")
            }
            #expect(r.json["landing_hits"] as? Int == 0, "the redirect's target saw no request")
            #expect((r.json["big_chunked_sent"] as? Int ?? .max) < 50 * 1024 * 1024, "the 50 MB body was not read to its end")
            #expect(r.json["good_hits_before"] as? Int == 0 && r.status("good") == 201, "a good URL on the same server registers")
            #expect(r.status("good_token") == 200, "and its client gets a token")
            let refusals = try await s.auditRecords().filter { $0.action == "client.registered" }
            #expect(refusals.count == 1, "only the good registration created a client")
        }
    }

    @Test("case 20 at the token endpoint: a JWKS that now redirects to 169.254.169.254, streams 50 MB, stalls, serves a private key or HTML is refused 401 invalid_client for the new kid, audited; the last good set still stands")
    func tokenEndpoint() async throws {
        try await OAuthDriver.with(configure: Self.configure) { s, d in
            let r = try await d.run("jwks-uri-token")
            for mode in ["redirect_metadata", "big_chunked", "stall", "private", "html"] {
                #expect(r.outcome(mode) == A.invalidClient, "\(mode)")
                #expect(r[mode]["hits"] as? Int == 2, "\(mode): one fetch at registration, one for the unknown kid")
                #expect(r.outcome(mode + "_last_good") == A.ok, "\(mode): the key of the last good set still works")
            }
            #expect(r.json["landing_hits"] as? Int == 0)
            let failures = try await s.auditRecords().filter { $0.action == "client.auth_failed" && $0.details.contains("jwks_uri") }
            #expect(failures.count == 5, "each refused fetch is audited as a failed client authentication")
        }
    }
}
