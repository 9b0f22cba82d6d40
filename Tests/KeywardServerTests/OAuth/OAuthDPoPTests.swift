import Foundation
import KeywardOAuth
import KeywardServer
import KeywardTesting
import Testing

/// Cases 29–37 of docs/security-cases.md: DPoP (RFC 9449) at the token endpoint and at
/// `POST /v1/keys/verify`, where the resource server passes the proof, its method and its own URL.
@Suite("OAuth DPoP: cases 29–37 at the token endpoint and at verify")
struct OAuthDPoPTests {
    typealias A = DriverAnswers

    // case 29, case 30, case 31, case 32, case 33, case 37, case 40 of docs/security-cases.md
    @Test("cases 29–31, 33, 37: two DPoP headers, typ JWT, HS256 or none, a private jwk, another signer, wrong htm or htu, iat an hour off and a replayed proof get 400 invalid_dpop_proof; a DPoP-bound client without a proof gets no token")
    func tokenEndpoint() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("dpop-token")
            for name in ["two_headers", "typ_jwt", "alg_hs256", "alg_none", "jwk_private", "other_signer", "htm_get", "htu_other_host",
                         "htu_other_path", "iat_hour_ahead", "iat_hour_ago", "proof_again"] {
                #expect(r.outcome(name) == A.invalidDPoP, "\(name)")
                #expect(r.bool(name, "has_token") == false, "\(name): no token")
            }
            // case 32 (http issuer): query and fragment, upper-case scheme and host are the same URI.
            for name in ["htu_query_fragment", "htu_upper", "proof_first"] {
                #expect(r.outcome(name) == A.ok, "\(name)")
                #expect(r.string(name, "token_type") == "DPoP", "\(name): case 40, a bound token says DPoP")
            }
            #expect(r.string("no_proof", "token_type") == "Bearer")
            // case 37
            #expect(r.outcome("bound_without_proof") == A.invalidDPoP)
            #expect(r.bool("bound_without_proof", "has_token") == false)
            #expect(r.outcome("bound_with_proof") == A.ok)
            #expect(r.bool("bound_cnf", "jkt_matches") == true, "cnf.jkt is the proof key's RFC 7638 thumbprint (joserfc's)")
            #expect(r.string("bound_cnf", "token_type") == "DPoP")
        }
    }

    // case 32 of docs/security-cases.md
    @Test("case 32: with an https issuer configured, htu with :443, upper case, ?q#f or a dot segment is accepted; the Host the request really went to is not")
    func issuerNormalisation() async throws {
        try await OAuthDriver.with(configure: { $0.oauthIssuer = "https://keyward.example" }) { s, d in
            let r = try await d.run("dpop-issuer")
            #expect(r.bool("issuer", "https") == true)
            for name in ["exact", "explicit_443", "upper", "query_fragment", "dot_segment"] { #expect(r.outcome(name) == A.ok, "\(name)") }
            // htu comes from the configured issuer, never from the Host header the client used.
            for name in ["host_header", "http_scheme", "other_port"] { #expect(r.outcome(name) == A.invalidDPoP, "\(name)") }
        }
    }

    // case 34 of docs/security-cases.md
    @Test("case 34: with nonces required, no nonce, a stale one or a forged one gets 400 use_dpop_nonce with a DPoP-Nonce header; requests-oauth2client retries with it and gets a DPoP token; verify asks the same way (dpop_nonce_required with a nonce)")
    func nonce() async throws {
        try await OAuthDriver.with(configure: { $0.dpopNonceRequired = true }) { s, d in
            // A genuine nonce of this server, from two windows ago.
            let stale = s.runtime.oauth.nonces.current(now: Date().addingTimeInterval(-700))
            let r = try await d.run("dpop-nonce", environment: ["KEYWARD_STALE_NONCE": stale])
            for name in ["no_nonce", "stale_nonce", "forged_nonce"] {
                #expect(r.outcome(name) == A.refused(400, "use_dpop_nonce"), "\(name)")
                #expect(r.string(name, "dpop_nonce")?.isEmpty == false, "\(name): a DPoP-Nonce header")
                #expect(r.string(name, "www_authenticate")?.contains("use_dpop_nonce") == true, "\(name)")
                #expect(r.bool(name, "has_token") == false)
            }
            let client = r["client"]
            let answers = try #require(client["answers"] as? [[Any]])
            #expect(answers.count == 2)
            #expect(answers.first?[0] as? Int == 400 && answers.first?[1] as? String == "use_dpop_nonce" && answers.first?[2] as? Bool == true)
            #expect(answers.last?[0] as? Int == 200 && answers.last?[3] as? Bool == true, "the retry carries the nonce and succeeds")
            #expect(client["token_type"] as? String == "DPoP")
            // At the resource server (verify): a proof without the nonce is refused with one to use; with it, valid.
            let rs = r["rs"]
            #expect(rs["first_reason"] as? String == "dpop_nonce_required")
            #expect(rs["has_nonce"] as? Bool == true)
            #expect(rs["second_valid"] as? Bool == true)
        }
    }

    // case 33, case 35, case 36 of docs/security-cases.md
    @Test("cases 33, 35, 36: at verify a DPoP-bound token is valid only with a fresh proof by its cnf.jkt key over the caller's htm and htu with the right ath; without one (as Bearer) it is binding_mismatch")
    func atVerify() async throws {
        try await OAuthDriver.with { s, d in
            let r = try await d.run("dpop-verify")
            #expect(r.json["token_type"] as? String == "DPoP")
            #expect(r.bool("valid", "valid") == true)
            #expect(r.bool("htu_normalised", "valid") == true, "the caller's URL is compared after RFC 3986 normalisation")
            for name in ["same_proof_again", "bearer", "ath_missing", "ath_wrong", "other_key", "htm_mismatch", "htu_mismatch", "iat_hour_ago"] {
                #expect(r.bool(name, "valid") == false, "\(name)")
                #expect(r.string(name, "reason") == "binding_mismatch", "\(name)")
            }
            #expect(r.string("introspection", "token_type") == "DPoP")
            #expect(r.bool("introspection", "jkt_matches") == true)
        }
    }
}
