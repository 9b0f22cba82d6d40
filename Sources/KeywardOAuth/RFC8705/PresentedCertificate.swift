import Crypto
import Foundation
import SwiftASN1
import X509

/// The client certificate of the TLS connection a request came on (RFC 8705), which the
/// handshake verified against the configured client CAs. Only ever taken from the TLS layer,
/// never from a header a proxy or the client could set (RFC 9700 §4.13, case 28).
package struct PresentedCertificate: Sendable {
    let certificate: Certificate
    /// RFC 8705 §3.1: base64url(SHA-256(DER of the certificate)), a bound token's `x5t#S256`.
    package let thumbprint: String

    /// Nil when the bytes are not one DER certificate.
    package init?(der: [UInt8]) {
        guard let c = try? Certificate(derEncoded: der) else { return nil }
        certificate = c
        thumbprint = Base64URL.encode(SHA256.hash(data: der))
    }

    /// Why this certificate may not authenticate a client at `now`, or nil when it may
    /// (case 26): inside its validity period (RFC 5280 §4.1.2.5) and with an extended key usage
    /// that names clientAuth (RFC 5280 §4.2.1.12; Keyward requires the extension, so a
    /// certificate issued for a server or for anything cannot log a client in).
    package func refusal(at now: Date) -> String? {
        if now < certificate.notValidBefore { return "the client certificate is not valid yet" }
        if now > certificate.notValidAfter { return "the client certificate has expired" }
        guard let eku = try? certificate.extensions.extendedKeyUsage, eku.contains(.clientAuth) else {
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
