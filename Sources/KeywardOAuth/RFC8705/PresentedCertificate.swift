import Foundation
import SwiftASN1
import X509

/// The client certificate of the TLS connection a request came on (RFC 8705), with what the
/// handshake established about it (`ClientCertificateTrust`). Only ever taken from the TLS
/// layer, never from a header a proxy or the client could set (RFC 9700 §4.13, case 28).
package struct PresentedCertificate: Sendable {
    /// How the handshake accepted the certificate.
    package enum Trust: Sendable, Equatable {
        /// It chains to a configured client CA: the thumbprints of the CA certificates on the
        /// verified path, issuer first (what a client's `tls_client_auth_ca_thumbprint` pins).
        case caIssued([String])
        /// Self-signed, verified by no CA: it proves only possession of its key, so it can
        /// authenticate a `self_signed_tls_client_auth` client that registered it, or bind a
        /// token, never a `tls_client_auth` client (RFC 8705 §2.1 needs a PKI).
        case selfSigned
    }

    let certificate: Certificate
    /// RFC 8705 §3.1: base64url(SHA-256(DER of the certificate)), a bound token's `x5t#S256`.
    package let thumbprint: String
    package let trust: Trust

    /// `verifiedChain`: the path the handshake verified to a client CA (leaf first, DER), or
    /// nil when it accepted the certificate as self-signed. Nil when the bytes are not one DER
    /// certificate, or when a certificate with no verified chain is not self-signed.
    package init?(der: [UInt8], verifiedChain: [[UInt8]]?) {
        guard let c = try? Certificate(derEncoded: der) else { return nil }
        certificate = c
        thumbprint = ClientCertificateTrust.thumbprint(der)
        if let chain = verifiedChain, chain.first == der {
            trust = .caIssued(chain.dropFirst().map(ClientCertificateTrust.thumbprint))
        } else {
            guard ClientCertificateTrust.isSelfSigned(c) else { return nil }
            trust = .selfSigned
        }
    }

    /// Why this certificate may not authenticate a client at `now`, or nil when it may
    /// (case 26): inside its validity period (RFC 5280 §4.1.2.5) and with an extended key usage
    /// that names clientAuth (RFC 5280 §4.2.1.12). A CA-issued certificate must carry the
    /// extension, so one issued for a server or for anything cannot log a client in; a
    /// self-signed one, pinned by its own hash at registration, may leave it out.
    package func refusal(at now: Date) -> String? {
        if now < certificate.notValidBefore { return "the client certificate is not valid yet" }
        if now > certificate.notValidAfter { return "the client certificate has expired" }
        let eku = try? certificate.extensions.extendedKeyUsage
        if eku == nil, trust == .selfSigned, certificate.extensions[oid: .X509ExtensionID.extendedKeyUsage] == nil { return nil }
        guard let eku, eku.contains(.clientAuth) else {
            return "the client certificate's extended key usage does not include clientAuth"
        }
        return nil
    }

    var subject: SubjectDN { SubjectDN(certificate.subject) }

    /// The certificate's subjectAltName dNSName entries, as they are encoded.
    var dnsNames: [String] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { if case .dnsName(let n) = $0 { n } else { nil } }
    }
}
