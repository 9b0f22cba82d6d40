import Foundation

/// How a `tls_client_auth` client's certificate is recognised (RFC 8705 §2.1.2): by exactly one
/// of its subject DN or one dNSName subjectAltName.
package enum TLSClientAuthRule: Sendable, Equatable {
    case subjectDN(SubjectDN)
    /// Lower case, no wildcard, no NUL.
    case sanDNS(String)

    package enum Invalid: Error, Sendable {
        case both, neither, subjectDN, sanDNS
        package var reason: String {
            switch self {
            case .both: "register tls_client_auth_subject_dn or tls_client_auth_san_dns, not both"
            case .neither: "tls_client_auth needs tls_client_auth_subject_dn or tls_client_auth_san_dns"
            case .subjectDN: "tls_client_auth_subject_dn: not an RFC 4514 distinguished name (e.g. CN=orders,O=Example)"
            case .sanDNS: "tls_client_auth_san_dns: one DNS name, without a wildcard, at most 253 characters"
            }
        }
    }

    /// The rule a registration names (case 24: never both).
    package static func parse(subjectDN: String?, sanDNS: String?) throws(Invalid) -> TLSClientAuthRule {
        switch (subjectDN, sanDNS) {
        case (.some, .some): throw .both
        case (nil, nil): throw .neither
        case (let dn?, nil):
            guard let parsed = SubjectDN(rfc4514: dn) else { throw .subjectDN }
            return .subjectDN(parsed)
        case (nil, let name?):
            guard let n = normalisedDNSName(name) else { throw .sanDNS }
            return .sanDNS(n)
        }
    }

    /// Whether the presented certificate is this client's (RFC 8705 §2.1.2).
    package func matches(_ c: PresentedCertificate) -> Bool {
        switch self {
        case .subjectDN(let dn):
            return c.subject == dn
        case .sanDNS(let name):
            // case 23: a wildcard SAN or one with a NUL (or anything not a plain DNS name) never matches.
            return c.dnsNames.contains { Self.normalisedDNSName($0) == name }
        }
    }

    /// A DNS name in lower case, or nil when it is not a plain one: labels of letters, digits
    /// and hyphens (RFC 1123 §2.1), no wildcard, no NUL, at most 253 characters.
    static func normalisedDNSName(_ s: String) -> String? {
        let lower = s.lowercased()
        guard !lower.isEmpty, lower.utf8.count <= 253 else { return nil }
        let labels = lower.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") })
            else { return nil }
        }
        return lower
    }
}
