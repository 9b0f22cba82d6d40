import Foundation
import SwiftASN1
import X509

/// A distinguished name as `tls_client_auth_subject_dn` is compared (RFC 8705 §2.1.2: "using the
/// rules in RFC 4514"): each attribute by its type's OID (so `CN`, `cn` and `2.5.4.3` are one
/// type) and its value after RFC 4518 insignificant-space handling and case folding (the
/// caseIgnoreMatch of every DirectoryString and IA5 attribute), each RDN as a set. Keyward also
/// ignores the order of the RDNs: the registered string may be written in RFC 4514 order
/// (`CN=…,O=…`) or in the certificate's order as OpenSSL prints it (`O=…, CN=…`).
package struct SubjectDN: Sendable, Equatable {
    /// One attribute: the type's dotted OID and the normalised value (`#hex` of the DER for a
    /// value that is not a string).
    struct Attribute: Sendable, Hashable, Comparable {
        var oid: String
        var value: String
        static func < (a: Attribute, b: Attribute) -> Bool { (a.oid, a.value) < (b.oid, b.value) }
    }

    /// The RDNs, each sorted, and the list sorted: the comparison key.
    let rdns: [[Attribute]]

    init(rdns: [[Attribute]]) {
        self.rdns = rdns.map { $0.sorted() }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The subject of a certificate.
    package init(_ name: DistinguishedName) {
        self.init(rdns: name.map { rdn in
            rdn.map { a in
                let value: String
                if let s = String(a.value) {
                    value = Self.normalise(s)
                } else {
                    var der = DER.Serializer()
                    value = (try? der.serialize(ASN1Any(a.value))).map { "#" + Self.hex(der.serializedBytes) } ?? "#"
                }
                return Attribute(oid: String(describing: a.type), value: value)
            }
        })
    }

    /// Parses an RFC 4514 string. Nil for anything malformed: an empty DN or RDN, an unknown
    /// attribute keyword, a bad escape, a NUL, or more than 1 KiB.
    package init?(rfc4514 text: String) {
        guard !text.isEmpty, text.utf8.count <= 1_024, !text.utf8.contains(0) else { return nil }
        var rdns: [[Attribute]] = []
        var rdn: [Attribute] = []
        var type = "", value: [UInt8] = [], inValue = false, hexValue = false, escapedTail = 0
        var bytes = Array(text.utf8)[...]
        func finishAttribute() -> Bool {
            guard let oid = Self.oid(type.trimmingCharacters(in: .whitespaces)) else { return false }
            // RFC 4514 §2.4: trailing spaces are kept only when escaped.
            var v = value
            while v.count > escapedTail, v.last == UInt8(ascii: " ") { v.removeLast() }
            let normalised: String
            if hexValue {
                let digits = String(decoding: v, as: UTF8.self).lowercased()
                guard digits.count > 1, digits.count % 2 == 1, digits.dropFirst().allSatisfy(\.isHexDigit) else { return false }
                normalised = digits
            } else {
                guard !v.contains(0), let s = String(validating: v, as: UTF8.self) else { return false }
                normalised = Self.normalise(s)
            }
            rdn.append(Attribute(oid: oid, value: normalised))
            type = ""; value = []; inValue = false; hexValue = false; escapedTail = 0
            return true
        }
        while let b = bytes.popFirst() {
            if !inValue {
                if b == UInt8(ascii: "=") {
                    inValue = true
                    while bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
                    hexValue = bytes.first == UInt8(ascii: "#")
                } else if b == UInt8(ascii: ",") || b == UInt8(ascii: "+") {
                    return nil
                } else {
                    type.unicodeScalars.append(Unicode.Scalar(b))
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\\"):
                guard let next = bytes.popFirst() else { return nil }
                if let hi = Self.hexValue(next) {
                    guard let lo = bytes.popFirst().flatMap(Self.hexValue) else { return nil }
                    value.append(hi << 4 | lo)
                } else {
                    guard Array(" \"#+,;<=>\\".utf8).contains(next) else { return nil }
                    value.append(next)
                }
                escapedTail = value.count
            case UInt8(ascii: "+"):
                guard finishAttribute() else { return nil }
            case UInt8(ascii: ","):
                guard finishAttribute() else { return nil }
                rdns.append(rdn)
                rdn = []
                while bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
            default:
                value.append(b)
            }
        }
        guard inValue, finishAttribute() else { return nil }
        rdns.append(rdn)
        self.init(rdns: rdns)
    }

    /// RFC 4514 §3's keywords (and `emailAddress`, common in client certificates), or a dotted OID.
    static func oid(_ type: String) -> String? {
        let keywords = ["cn": "2.5.4.3", "l": "2.5.4.7", "st": "2.5.4.8", "o": "2.5.4.10", "ou": "2.5.4.11", "c": "2.5.4.6",
                        "street": "2.5.4.9", "dc": "0.9.2342.19200300.100.1.25", "uid": "0.9.2342.19200300.100.1.1",
                        "serialnumber": "2.5.4.5", "emailaddress": "1.2.840.113549.1.9.1"]
        if let o = keywords[type.lowercased()] { return o }
        let arcs = type.split(separator: ".", omittingEmptySubsequences: false)
        guard arcs.count >= 2, arcs.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        return type
    }

    /// RFC 4518 §2.6.1 insignificant space handling and case folding, in short: no leading or
    /// trailing spaces, inner runs of spaces as one, lower case.
    static func normalise(_ s: String) -> String {
        s.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
