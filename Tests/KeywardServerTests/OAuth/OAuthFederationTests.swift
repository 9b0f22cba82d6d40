import Foundation
import KeywardCore
import KeywardOAuth
import KeywardServer
import KeywardTesting
import Testing

/// Workload federation (issue 13): a client with no secret trusts an external workload issuer. The
/// driver runs that issuer on loopback (OIDC discovery and JWKS over HTTP, tokens signed by keys made
/// at run time) and exchanges its tokens with requests-oauth2client's RFC 7523 §2.1 grant.
@Suite("OAuth workload federation: a pipeline's own token for a short-lived Keyward token")
struct OAuthFederationTests {
    typealias A = DriverAnswers
    static let invalidGrant = A.refused(400, "invalid_grant")

    @Test("a trusted workload token gets a 5-minute token of its client (grant and client assertion); replay, another subject, audience, claim, key, algorithm, lifetime or issuer get invalid_grant; revoking the client kills its tokens and its trust")
    func exchange() async throws {
        try await OAuthDriver.with { _, d in
            let r = try await d.run("federation")
            #expect(r.status("registered") == 201)
            #expect(r.string("registered", "method") == "workload_federation")
            #expect(r["registered"]["keys"] as? Int == 1, "the issuer's key is listed by its thumbprint (the leak loop matches it)")
            #expect(r.outcome("happy") == A.ok)
            #expect(r.string("happy", "token_type") == "Bearer")
            #expect(r["happy"]["expires_in"] as? Int == 300)
            #expect(r.bool("verify", "valid") == true)
            #expect(r.string("verify", "client_id")?.hasPrefix("cli_") == true)
            #expect(r.outcome("replay") == Self.invalidGrant, "a single-use trust exchanges each token once")
            #expect(r.outcome("no_client_id") == A.ok, "issuer and subject find the one client")
            #expect(r.outcome("as_client_assertion") == A.ok, "RFC 7523 §2.2: the workload token as client_credentials' assertion")
            #expect(r.outcome("wider_scope") == A.refused(400, "invalid_scope"))
            #expect(r.outcome("audience_list") == A.ok, "aud may be a list that holds the trust's audience")
            for name in ["other_subject", "other_subject_named", "other_audience", "claim_differs", "claim_missing", "expired", "too_long",
                         "future_iat", "other_key", "alg_none", "jku_header", "typ_at_jwt", "unknown_issuer", "garbage"] {
                #expect(r.outcome(name) == Self.invalidGrant, "\(name)")
                #expect(r.bool(name, "has_token") == false, "\(name): no token")
            }
            #expect(r.outcome("with_basic") == A.refused(400, "invalid_request"), "one client authentication per request")
            #expect(r.outcome("no_assertion") == A.refused(400, "invalid_request"))
            #expect(r.outcome("pkjwt_for_federated") == A.invalidClient, "a federated client holds no key of its own")
            #expect(r.outcome("ambiguous") == A.refused(400, "invalid_request"), "two clients trust the workload: the grant must name one")
            #expect(r.outcome("named_second") == A.ok)
            #expect(r.bool("after_revoke_verify", "valid") == false)
            #expect(r.string("after_revoke_verify", "reason") == "revoked")
            #expect(r.outcome("after_revoke_grant") == Self.invalidGrant)
            let fails = try await d.server.auditRecords().filter { $0.action == "client.auth_failed" }.count
            #expect(fails >= 10, "refused workload tokens are audited (fingerprints only)")
        }
    }

    @Test("a reusable trust (Kubernetes) takes one token twice; a single-use one without jti refuses it by digest; a DPoP-bound federated client gets DPoP tokens only; a wildcard subject, no audience, a plain-http issuer, a reserved claim, a private key or a missing trust are refused at registration")
    func options() async throws {
        try await OAuthDriver.with { _, d in
            let r = try await d.run("federation-options")
            #expect(r.outcome("reusable_first") == A.ok)
            #expect(r.outcome("reusable_again") == A.ok)
            #expect(r.outcome("digest_first") == A.ok)
            #expect(r.outcome("digest_again") == Self.invalidGrant)
            #expect(r.outcome("dpop") == A.ok)
            #expect(r.string("dpop", "token_type") == "DPoP")
            #expect(r.outcome("dpop_missing") == A.invalidDPoP)
            for name in ["wildcard_subject", "question_subject", "empty_subject", "no_audience", "http_issuer", "reserved_claim", "private_key",
                         "no_jwks", "no_trust", "trust_on_pkjwt"] {
                #expect(r.status(name) == 422, "\(name)")
                #expect(r.string(name, "detail")?.isEmpty == false, "\(name): says why")
            }
            #expect(r.string("wildcard_subject", "detail")?.contains("wildcard") == true)
        }
    }

    @Test("a trust may follow the issuer's jwks_uri (allow-listed): its keys are fetched at registration, a rotated key is fetched when a token names it, the key rotated out is refused; a host off the allow-list or jwks beside jwks_uri is 422")
    func jwksURI() async throws {
        try await OAuthDriver.with(configure: { $0.jwks.allowList = try! JWKSAllowList(["127.0.0.1"]) }) { _, d in
            let r = try await d.run("federation-jwks-uri")
            #expect(r.status("registered") == 201)
            #expect(r.string("registered", "jwks_uri")?.hasSuffix("/jwks") == true)
            #expect(r["registered"]["keys"] as? Int == 1, "the keys fetched at registration are listed by thumbprint")
            #expect(r.outcome("first") == A.ok)
            #expect(r.outcome("rotated") == A.ok, "a token signed by the issuer's new key: its kid is fetched")
            #expect(r.outcome("old_key") == Self.invalidGrant, "the key the issuer dropped no longer signs")
            #expect(r.status("off_allow_list") == 422)
            #expect(r.status("both") == 422)
        }
    }
}
