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
        let s = normalized(String(decoding: text, as: UTF8.self))
        if s.contains("-----BEGIN OPENSSH PRIVATE KEY-----") { return openSSH(s) }
        if s.contains("ENCRYPTED") { return nil }
        if let k = try? P256.Signing.PrivateKey(pemRepresentation: s) { return ec("P-256", k.publicKey.rawRepresentation) }
        if let k = try? P384.Signing.PrivateKey(pemRepresentation: s) { return ec("P-384", k.publicKey.rawRepresentation) }
        if let k = try? P521.Signing.PrivateKey(pemRepresentation: s) { return ec("P-521", k.publicKey.rawRepresentation) }
        if let k = try? _RSA.Signing.PrivateKey(pemRepresentation: s),
           let (n, e) = rsaPublic(Array(k.publicKey.pkcs1DERRepresentation)) {
            return rsa(n: n, e: e)
        }
        if let der = pemBody(s, label: "PRIVATE KEY"), let seed = ed25519Seed(der),
           let k = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) {
            return okp(Array(k.publicKey.rawRepresentation))
        }
        return nil
    }

    /// A key as found in code: escaped newlines (`\n` inside a string literal) become newlines,
    /// and string-literal punctuation around the lines is dropped.
    static func normalized(_ s: String) -> String {
        var out = s.replacingOccurrences(of: "\\r", with: "").replacingOccurrences(of: "\\n", with: "\n")
        out = out.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            line.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\"'+,;`|"))
        }.filter { !$0.isEmpty }.joined(separator: "\n")
        return out + "\n"
    }

    static func pemBody(_ s: String, label: String) -> [UInt8]? {
        guard let start = s.range(of: "-----BEGIN \(label)-----"), let end = s.range(of: "-----END \(label)-----", range: start.upperBound..<s.endIndex) else { return nil }
        let b64 = s[start.upperBound..<end.lowerBound].filter { $0.isLetter || $0.isNumber || $0 == "+" || $0 == "/" || $0 == "=" }
        return Data(base64Encoded: String(b64)).map(Array.init)
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
    static func openSSH(_ s: String) -> String? {
        guard let der = pemBody(s, label: "OPENSSH PRIVATE KEY") else { return nil }
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
