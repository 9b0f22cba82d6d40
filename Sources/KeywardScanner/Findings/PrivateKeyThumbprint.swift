import Crypto
import Foundation
import _CryptoExtras

/// The RFC 7638 SHA-256 thumbprint of a found private key's public half: what a finding and a
/// leak report carry instead of the key, so the server can match the key to the OAuth client it
/// was registered to (the client's registered JWK has the same thumbprint). Covers unencrypted
/// PEM keys (SEC1 EC, PKCS#1 RSA, PKCS#8 EC/RSA/Ed25519) and OpenSSH keys — whose public half is
/// stored in clear even when the private half is encrypted. Nil for anything else.
package enum PrivateKeyThumbprint {
    package static func of(_ text: [UInt8]) -> String? {
        let found = String(decoding: text, as: UTF8.self)
        guard let (label, body) = canonical(found) else { return nil }
        if label == "OPENSSH PRIVATE KEY" { return openSSH(body) }
        if found.contains("ENCRYPTED") { return nil }
        let pem = "-----BEGIN \(label)-----\n" + wrapped(body.base64EncodedString()) + "-----END \(label)-----\n"
        if let k = try? P256.Signing.PrivateKey(pemRepresentation: pem) { return ec("P-256", k.publicKey.rawRepresentation) }
        if let k = try? P384.Signing.PrivateKey(pemRepresentation: pem) { return ec("P-384", k.publicKey.rawRepresentation) }
        if let k = try? P521.Signing.PrivateKey(pemRepresentation: pem) { return ec("P-521", k.publicKey.rawRepresentation) }
        if let k = try? _RSA.Signing.PrivateKey(pemRepresentation: pem), let (n, e) = rsaPublic(Array(k.publicKey.pkcs1DERRepresentation)) {
            return rsa(n: n, e: e)
        }
        if label == "PRIVATE KEY", let seed = ed25519Seed(Array(body)), let k = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) {
            return okp(Array(k.publicKey.rawRepresentation))
        }
        return nil
    }

    /// The label and the decoded body of the first PEM block in `found`, as it may sit in code: a
    /// string literal with `\n` escapes, or lines concatenated with `"…" +`. Quotes, the `+` that
    /// joins literals (next to a quote) and anything outside base64 are dropped; a `+` inside the
    /// base64 is kept.
    static func canonical(_ found: String) -> (String, Data)? {
        guard let begin = found.range(of: "-----BEGIN "), let labelEnd = found.range(of: "-----", range: begin.upperBound..<found.endIndex) else { return nil }
        let label = String(found[begin.upperBound..<labelEnd.lowerBound])
        guard label.count <= 40, let end = found.range(of: "-----END \(label)-----", range: labelEnd.upperBound..<found.endIndex) else { return nil }
        let chars = Array(found[labelEnd.upperBound..<end.lowerBound].replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\r", with: ""))
        var dropped = Set<Int>()
        for (i, c) in chars.enumerated() where c == "\"" || c == "'" || c == "`" {
            dropped.insert(i)
            var j = i - 1
            while j >= 0, chars[j].isWhitespace { j -= 1 }
            if j >= 0, chars[j] == "+" { dropped.insert(j) }
            j = i + 1
            while j < chars.count, chars[j].isWhitespace { j += 1 }
            if j < chars.count, chars[j] == "+" { dropped.insert(j) }
        }
        var b64 = ""
        for (i, c) in chars.enumerated() where !dropped.contains(i) && c.isASCII && (c.isLetter || c.isNumber || c == "+" || c == "/" || c == "=") {
            b64.append(c)
        }
        // A PEM header (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`) leaves letters behind: such keys are refused by the caller.
        guard let data = Data(base64Encoded: b64) else { return nil }
        return (label, data)
    }

    static func wrapped(_ b64: String) -> String {
        var out = ""
        var line = ""
        for c in b64 {
            line.append(c)
            if line.count == 64 {
                out += line + "\n"
                line = ""
            }
        }
        return line.isEmpty ? out : out + line + "\n"
    }

    // MARK: thumbprints (RFC 7638 §3.2: required members, lexicographic order, no whitespace)

    static func ec(_ crv: String, _ raw: Data) -> String {
        let half = raw.count / 2
        return digest(#"{"crv":"\#(crv)","kty":"EC","x":"\#(b64url(Array(raw.prefix(half))))","y":"\#(b64url(Array(raw.suffix(half))))"}"#)
    }

    static func rsa(n: [UInt8], e: [UInt8]) -> String {
        digest(#"{"e":"\#(b64url(e))","kty":"RSA","n":"\#(b64url(n))"}"#)
    }

    static func okp(_ x: [UInt8]) -> String {
        digest(#"{"crv":"Ed25519","kty":"OKP","x":"\#(b64url(x))"}"#)
    }

    static func digest(_ json: String) -> String { b64url(Array(SHA256.hash(data: Array(json.utf8)))) }

    static func b64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    // MARK: the few DER and SSH structures needed (no ASN.1 or SSH library is among the packages the scanner may use)

    /// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, leading zero bytes dropped.
    static func rsaPublic(_ der: [UInt8]) -> ([UInt8], [UInt8])? {
        var r = DERReader(der)
        guard let seq = r.read(tag: 0x30) else { return nil }
        var inner = DERReader(seq)
        guard let n = inner.read(tag: 0x02), let e = inner.read(tag: 0x02) else { return nil }
        return (Array(n.drop { $0 == 0 }), Array(e.drop { $0 == 0 }))
    }

    /// PKCS#8 for Ed25519 (RFC 8410): version, AlgorithmIdentifier 1.3.101.112, OCTET STRING { OCTET STRING seed }.
    static func ed25519Seed(_ der: [UInt8]) -> [UInt8]? {
        var r = DERReader(der)
        guard let seq = r.read(tag: 0x30) else { return nil }
        var inner = DERReader(seq)
        guard inner.read(tag: 0x02) != nil, let alg = inner.read(tag: 0x30), alg == [0x06, 0x03, 0x2B, 0x65, 0x70],
              let wrapped = inner.read(tag: 0x04) else { return nil }
        var w = DERReader(wrapped)
        guard let seed = w.read(tag: 0x04), seed.count == 32 else { return nil }
        return seed
    }

    /// openssh-key-v1: magic, cipher, kdf, kdf options, key count, then the first public key blob.
    static func openSSH(_ body: Data) -> String? {
        let der = Array(body)
        let magic = Array("openssh-key-v1\0".utf8)
        guard der.starts(with: magic) else { return nil }
        var r = SSHReader(Array(der.dropFirst(magic.count)))
        guard r.string() != nil, r.string() != nil, r.string() != nil, let count = r.uint32(), count >= 1, let blob = r.string() else { return nil }
        var k = SSHReader(blob)
        guard let type = k.string().map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        switch type {
        case "ssh-ed25519":
            guard let x = k.string(), x.count == 32 else { return nil }
            return okp(x)
        case "ssh-rsa":
            guard let e = k.string(), let n = k.string() else { return nil }
            return rsa(n: Array(n.drop { $0 == 0 }), e: Array(e.drop { $0 == 0 }))
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            guard k.string() != nil, let q = k.string(), q.first == 0x04 else { return nil }
            let crv = ["ecdsa-sha2-nistp256": "P-256", "ecdsa-sha2-nistp384": "P-384", "ecdsa-sha2-nistp521": "P-521"][type]!
            return ec(crv, Data(q.dropFirst()))
        default:
            return nil
        }
    }

    struct DERReader {
        var bytes: [UInt8]
        var i = 0
        init(_ b: [UInt8]) { bytes = b }
        mutating func read(tag: UInt8) -> [UInt8]? {
            guard i + 2 <= bytes.count, bytes[i] == tag else { return nil }
            var len = Int(bytes[i + 1])
            i += 2
            if len & 0x80 != 0 {
                let n = len & 0x7F
                guard (1...4).contains(n), i + n <= bytes.count else { return nil }
                len = bytes[i..<i + n].reduce(0) { $0 << 8 | Int($1) }
                i += n
            }
            guard len >= 0, i + len <= bytes.count else { return nil }
            defer { i += len }
            return Array(bytes[i..<i + len])
        }
    }

    struct SSHReader {
        var bytes: [UInt8]
        var i = 0
        init(_ b: [UInt8]) { bytes = b }
        mutating func uint32() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            defer { i += 4 }
            return bytes[i..<i + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        mutating func string() -> [UInt8]? {
            guard let n = uint32(), n <= 1 << 20, i + Int(n) <= bytes.count else { return nil }
            defer { i += Int(n) }
            return Array(bytes[i..<i + Int(n)])
        }
    }
}
