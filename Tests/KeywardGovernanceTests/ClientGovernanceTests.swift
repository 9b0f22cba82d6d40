import Crypto
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardOAuth
import KeywardStore
import KeywardTesting
import Testing

/// OAuth clients in the domain: registration under the identity's issuance policy, the cascade
/// from an identity's decommissioning to its clients and their tokens, and the leak loop for
/// OAuth material (a token by its digest, a private key by its public half's thumbprint). Real
/// store, manual clock, no HTTP.
@Suite("Governance: OAuth clients")
struct ClientGovernanceTests {
    /// A fresh EC P-256 public JWK (made now, never committed) and its RFC 7638 thumbprint.
    static func jwk(kid: String = "k1", alg: String? = "ES256", privateMember: Bool = false) -> (json: String, thumbprint: String) {
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.rawRepresentation)
        var members = [#""kty":"EC""#, #""crv":"P-256""#, #""kid":"\#(kid)""#,
                       #""x":"\#(Base64URL.encode(raw[0..<32]))""#, #""y":"\#(Base64URL.encode(raw[32..<64]))""#]
        if let alg { members.append(#""alg":"\#(alg)""#) }
        if privateMember { members.append(#""d":"\#(Base64URL.encode(Array(key.rawRepresentation)))""#) }
        let json = "{" + members.joined(separator: ",") + "}"
        return (json, (try? PublicJWK.parse(json: #"{"kty":"EC","crv":"P-256","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#).thumbprint) ?? "")
    }

    static func newClient(_ identity: IdentityID, jwk: String, scope: String = "payments:read", extra: (inout NewClient) -> Void = { _ in }) -> NewClient {
        var n = NewClient(identityID: identity.description, name: "billing", authMethod: "private_key_jwt", jwksJSON: #"{"keys":[\#(jwk)]}"#, jwksURI: nil,
                          tlsSubjectDN: nil, tlsSANDNS: nil, scope: scope, environment: nil, dpopBound: false, certificateBound: false, refusedMembers: [])
        extra(&n)
        return n
    }

    /// Records a live token for `client` as the token endpoint would.
    static func token(_ h: GovernanceHarness, _ client: OAuthClient, text: String) async throws -> AccessTokenRecord {
        let t = AccessTokenRecord(id: .random(), clientID: client.id, identityID: client.identityID, scopes: client.scopes,
                                  digest: SecretDigest(hashing: text.utf8), binding: nil, issuedAt: h.clock.now, expiresAt: h.clock.now.addingTimeInterval(300))
        try await h.store.write { tx in try await h.store.insertAccessToken(t, in: tx) }
        return t
    }

    @Test("registration: within policy it is audited with the key's thumbprint; a scope outside the identity is refused by rule and audited; client_id, client_secret, a private or alg-less JWK, both TLS names are refused", arguments: Backend.allCases)
    func registration(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let (jwk, thumbprint) = Self.jwk()
            let client = try await h.governance.registerClient(Self.newClient(idn.id, jwk: jwk), actor: GovernanceHarness.admin)
            #expect(client.keyThumbprints == [thumbprint])
            #expect(client.status == .active)
            let audited = try #require(try await h.audit().last)
            #expect(audited.action == "client.registered" && audited.target == client.id.description && audited.details.contains(thumbprint))

            let head = try await h.auditHead()
            let outside = await KeyLifecycleTests.refusal { try await h.governance.registerClient(Self.newClient(idn.id, jwk: jwk, scope: "payments:admin"), actor: GovernanceHarness.admin) }
            #expect(outside?.code == .policyDenied && outside?.rule == "scopes.outside_allowed")
            #expect(try await h.audit(after: head).map(\.action) == ["key.refused"])

            let refused: [NewClient] = [
                Self.newClient(idn.id, jwk: jwk) { $0.refusedMembers = ["client_id"] },   // case 42
                Self.newClient(idn.id, jwk: jwk) { $0.refusedMembers = ["client_secret"] },
                Self.newClient(idn.id, jwk: Self.jwk(privateMember: true).json),          // case 19
                Self.newClient(idn.id, jwk: Self.jwk(alg: nil).json),                     // case 19
                Self.newClient(idn.id, jwk: jwk) { $0.authMethod = "tls_client_auth"; $0.jwksJSON = nil; $0.tlsSubjectDN = "CN=a"; $0.tlsSANDNS = "a.example" }, // case 24
                Self.newClient(idn.id, jwk: jwk) { $0.authMethod = "client_secret_basic" },
            ]
            for n in refused {
                let e = await KeyLifecycleTests.refusal { try await h.governance.registerClient(n, actor: GovernanceHarness.admin) }
                #expect(e?.code == .validation, "\(n.refusedMembers) \(n.authMethod)")
                #expect(e.map { !$0.message.contains("\"d\"") } ?? true)
            }
            #expect(try await h.store.listClients(identity: idn.id, limit: 10, after: nil).items.count == 1)
        }
    }

    @Test("decommissioning an identity revokes its clients and every live token they hold, in one transaction, audited as a cascade", arguments: Backend.allCases)
    func decommissionCascade(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let client = try await h.governance.registerClient(Self.newClient(idn.id, jwk: Self.jwk().json), actor: GovernanceHarness.admin)
            for n in 0..<3 { _ = try await Self.token(h, client, text: "token-\(n)") }
            #expect(try await h.governance.client(client.id).liveTokens == 3)
            _ = try await h.governance.decommission(idn.id, reason: "retired", actor: GovernanceHarness.admin)
            let (after, live) = try await h.governance.client(client.id)
            #expect(after.status == .revoked)
            #expect(live == 0)
            let records = try await h.audit()
            let revoked = try #require(records.first { $0.action == "client.revoked" })
            #expect(revoked.details.contains(idn.id.description) && revoked.details.contains(#""tokens_revoked":"3""#))
            #expect(records.last?.action == "identity.decommissioned")
            #expect(records.last?.details.contains(#""revoked_tokens":"3""#) == true)
        }
    }

    @Test("a leaked private key (by thumbprint): an admin's report revokes the client, kills its tokens and opens a contained incident listing them; a reporter's only opens it, containment withheld", arguments: Backend.allCases)
    func privateKeyLeak(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            for (actor, contained) in [(GovernanceHarness.reporter, false), (GovernanceHarness.admin, true)] {
                let (jwk, thumbprint) = Self.jwk()
                let client = try await h.governance.registerClient(Self.newClient(idn.id, jwk: jwk), actor: GovernanceHarness.admin)
                let tokens = [try await Self.token(h, client, text: "a-\(thumbprint)"), try await Self.token(h, client, text: "b-\(thumbprint)")]
                let record = ExposureRecord(source: "scanner", ruleID: "private-key.pkcs8", provider: "private-key", digest: nil, scannerFingerprint: nil,
                                            path: "deploy/key.pem", line: 1, commit: nil, url: nil, firstSeen: nil, keyThumbprint: thumbprint)
                let outcome = try #require(try await h.governance.intake([IncomingExposure(record: record, matchDigest: nil, serverFingerprint: nil, evidence: .none)],
                                                                          source: "scanner", receivedAt: h.clock.now, actor: actor).first)
                // A reporter without possession is told nothing; the incident is found by its credential.
                let incident = try #require(try await h.store.read { try await h.store.incident(dedupeKey: client.id.description, in: $0) })
                #expect(outcome.incidentID == (contained ? incident.id : nil))
                #expect(incident.target == .client(client.id))
                let radius = try decodeStored(BlastRadiusReport.self, incident.blastRadiusJSON)
                #expect(Set(radius.derivedCredentials.map(\.id)) == Set(tokens.map(\.id.description)))
                let (after, live) = try await h.governance.client(client.id)
                if contained {
                    #expect(outcome.action == .revoke && incident.status == .contained)
                    #expect(after.status == .revoked && live == 0)
                } else {
                    #expect(outcome.classification == nil, "a reporter without possession learns nothing")
                    #expect(incident.status == .open && incident.events.contains { $0.kind == "containment_withheld" })
                    #expect(after.status == .active && live == 2)
                }
            }
        }
    }

    @Test("a leaked access token (by SHA-256) is revoked; its client and its other tokens are untouched; a second report is a duplicate", arguments: Backend.allCases)
    func tokenLeak(_ backend: Backend) async throws {
        try await GovernanceHarness.with(backend) { h in
            let idn = try await h.identity()
            let client = try await h.governance.registerClient(Self.newClient(idn.id, jwk: Self.jwk().json), actor: GovernanceHarness.admin)
            let leaked = try await Self.token(h, client, text: "leaked-token-text")
            _ = try await Self.token(h, client, text: "other-token-text")
            let outcome = try await h.report(Secret("leaked-token-text"), actor: GovernanceHarness.admin)
            #expect(outcome.classification == .valid && outcome.action == .revoke)
            #expect(try await h.store.accessToken(leaked.id)?.revokedAt != nil)
            #expect(try await h.governance.client(client.id).liveTokens == 1)
            #expect(try await h.governance.client(client.id).0.status == .active)
            #expect(try await h.report(Secret("leaked-token-text"), actor: GovernanceHarness.admin).duplicate)
        }
    }
}
