import Crypto
import Foundation
import SwiftASN1
import X509

/// What the TLS handshake decides about a client's certificate chain (RFC 8705), with the
/// configured client CAs (`--client-ca`) and, when enabled, self-signed certificates (§2.2).
/// The server's TLS layer calls it for every presented chain and keeps the answer with the
/// connection, so the token endpoint knows whether — and through which CA — the certificate
/// was verified, not only that one was presented.
package struct ClientCertificateTrust: Sendable {
    /// The handshake's verdict on a presented chain.
    package enum Outcome: Sendable, Equatable {
        /// The chain verifies to a configured client CA: the verified path, leaf first, as DER.
        case verified([[UInt8]])
        /// One self-signed certificate (its own key signed it), accepted at the handshake for
        /// `self_signed_tls_client_auth`; the token endpoint decides whether it is registered.
        case selfSigned
        case refused
    }

    let roots: [Certificate]
    /// base64url SHA-256 of each configured client CA certificate's DER, in bundle order.
    package let caThumbprints: [String]
    package let acceptsSelfSigned: Bool

    /// `rootsDER`: the `--client-ca` bundle, one DER per certificate (nil when unreadable).
    package init?(rootsDER: [[UInt8]], acceptsSelfSigned: Bool) {
        var roots: [Certificate] = []
        for der in rootsDER {
            guard let c = try? Certificate(derEncoded: der) else { return nil }
            roots.append(c)
        }
        self.roots = roots
        caThumbprints = rootsDER.map(Self.thumbprint)
        self.acceptsSelfSigned = acceptsSelfSigned
    }

    /// RFC 8705 §3.1's certificate thumbprint: base64url(SHA-256(DER)).
    package static func thumbprint(_ der: [UInt8]) -> String { Base64URL.encode(SHA256.hash(data: der)) }

    /// The verdict on the chain a client presented (leaf first, DER), at `now`.
    package func evaluate(_ presented: [[UInt8]], now: Date) async -> Outcome {
        guard let leafDER = presented.first, let leaf = try? Certificate(derEncoded: leafDER) else { return .refused }
        if !roots.isEmpty {
            let intermediates = presented.dropFirst().compactMap { try? Certificate(derEncoded: $0) }
            // RFC 5280 §6 path validation (signatures, validity at `now`, basic constraints, name
            // constraints) to one of the configured client CAs, and a leaf usable for TLS client
            // authentication (what OpenSSL's default server-side check asked for before).
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
                RFC5280Policy(validationTime: now)
                ClientAuthUsagePolicy()
            }
            if case .validCertificate(let chain) = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
                var ders: [[UInt8]] = []
                for c in chain {
                    var s = DER.Serializer()
                    guard (try? s.serialize(c)) != nil else { return .refused }
                    ders.append(s.serializedBytes)
                }
                return .verified(ders)
            }
        }
        // RFC 8705 §2.2: the certificate is checked against the client's registration, not a CA.
        if acceptsSelfSigned, Self.isSelfSigned(leaf) { return .selfSigned }
        return .refused
    }

    /// Issued by itself (issuer = subject) and signed by its own key.
    package static func isSelfSigned(_ c: Certificate) -> Bool {
        c.issuer == c.subject && c.publicKey.isValidSignature(c.signature, for: c)
    }
}

/// RFC 5280 §4.2.1.12: a leaf with an extended key usage must name clientAuth (or any) to
/// authenticate a TLS client; a leaf without the extension passes here (the token endpoint
/// requires it for `tls_client_auth`, see `PresentedCertificate.refusal`).
struct ClientAuthUsagePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let eku = try? chain.leaf.extensions.extendedKeyUsage else {
            if chain.leaf.extensions[oid: .X509ExtensionID.extendedKeyUsage] != nil { return .failsToMeetPolicy(reason: "malformed extended key usage") }
            return .meetsPolicy
        }
        return eku.contains(.clientAuth) || eku.contains(.any) ? .meetsPolicy : .failsToMeetPolicy(reason: "extended key usage without clientAuth")
    }
}
