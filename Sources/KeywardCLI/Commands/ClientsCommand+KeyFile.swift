import Crypto
import Foundation
import KeywardAPI

/// A client's public key file for `keyward clients create --jwks`: a JWK set, one JWK, or a PEM
/// public key. Private keys are refused here, before anything is sent, and no message quotes the
/// file's content (only its path and the offending member's name).
enum ClientKeyFile {
    static let maxBytes = 64 * 1024
    // RFC 7517 §4, RFC 7518 §6.2.2 / §6.3.2, RFC 8037 §2: members only a private or symmetric key has.
    static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// The registration's `jwks` (`{"keys":[…]}`), each key public and naming its algorithm.
    /// `alg` is used for keys that name none (required for RSA: RS256 or PS256).
    static func read(_ path: String, alg: String? = nil) throws -> RawJSON {
        if let alg, !["ES256", "EdDSA", "RS256", "PS256"].contains(alg) { throw CLIExit.error("--alg must be ES256, EdDSA, RS256 or PS256") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIExit.error("--jwks \(path): cannot read the file") }
        guard data.count <= maxBytes else { throw CLIExit.error("--jwks \(path): larger than 64 KiB; a key file is a few hundred bytes") }
        let text = String(decoding: data, as: UTF8.self)
        var keys: [[String: RawJSON]]
        if text.contains("-----BEGIN ") {
            keys = [try PEMPublicKey.jwk(text, path: path)]
        } else {
            keys = try jsonKeys(data, path: path)
        }
        for i in keys.indices {
            keys[i]["alg"] = .string(try algorithm(keys[i], given: alg, path: path))
        }
        return .object(["keys": .array(keys.map { .object($0) })])
    }

    static func jsonKeys(_ data: Data, path: String) throws -> [[String: RawJSON]] {
        let notKeys = CLIExit.error("--jwks \(path): expected a JWK set ({\"keys\":[…]}), one public JWK, or a PEM public key")
        guard let json = try? JSONDecoder().decode(RawJSON.self, from: data), case .object(let top) = json else { throw notKeys }
        let entries: [RawJSON]
        if let set = top["keys"] {
            guard case .array(let a) = set, !a.isEmpty else { throw notKeys }
            entries = a
        } else if top["kty"] != nil {
            entries = [json]
        } else {
            throw notKeys
        }
        return try entries.map { entry in
            guard case .object(let members) = entry else { throw notKeys }
            if let member = privateMembers.first(where: { members[$0] != nil }) {
                throw CLIExit.error("--jwks \(path) holds a private key (JWK member \"\(member)\"): register only its public half; "
                    + "the private key stays with the client. Nothing was sent")
            }
            return members
        }
    }

    /// The key's `alg`: as written, else `given`, else the only one its curve allows.
    static func algorithm(_ key: [String: RawJSON], given: String?, path: String) throws -> String {
        let kty = string(key["kty"]), crv = string(key["crv"])
        if let written = key["alg"] {
            guard case .string(let a) = written else { throw CLIExit.error("--jwks \(path): a key's alg is not a string") }
            if let given, given != a { throw CLIExit.error("--jwks \(path): the key names alg \(a), --alg says \(given)") }
            return a
        }
        if let given { return given }
        switch (kty, crv) {
        case ("EC"?, "P-256"?): return "ES256"
        case ("OKP"?, "Ed25519"?): return "EdDSA"
        case ("RSA"?, _): throw CLIExit.error("--jwks \(path): an RSA key names no alg; pass --alg RS256 or --alg PS256")
        default: throw CLIExit.error("--jwks \(path): only EC P-256, Ed25519 and RSA keys are accepted")
        }
    }

    static func string(_ value: RawJSON?) -> String? {
        if case .string(let s)? = value { return s }
        return nil
    }
}

/// A PEM public key (`BEGIN PUBLIC KEY`, or PKCS #1 `BEGIN RSA PUBLIC KEY`) as a public JWK, with
/// its RFC 7638 thumbprint as `kid`.
enum PEMPublicKey {
    static func jwk(_ text: String, path: String) throws -> [String: RawJSON] {
        if text.contains("PRIVATE KEY-----") {
            throw CLIExit.error("--jwks \(path) holds a private key: register only its public half "
                + "(openssl pkey -in \(path) -pubout -out client.pub.pem). Nothing was sent")
        }
        let unsupported = CLIExit.error("--jwks \(path): not a PEM public key of EC P-256, Ed25519 or RSA")
        let pkcs1 = text.contains("-----BEGIN RSA PUBLIC KEY-----")
        let label = pkcs1 ? "RSA PUBLIC KEY" : "PUBLIC KEY"
        guard let start = text.range(of: "-----BEGIN \(label)-----"), let end = text.range(of: "-----END \(label)-----", range: start.upperBound..<text.endIndex),
              let der = Data(base64Encoded: text[start.upperBound..<end.lowerBound].filter { !$0.isWhitespace }) else { throw unsupported }
        return try jwk(der: der, pkcs1: pkcs1, unsupported: unsupported)
    }

    /// The JWK of a DER SubjectPublicKeyInfo (or, with `pkcs1`, an RFC 8017 RSAPublicKey).
    static func jwk(der: Data, pkcs1: Bool = false, unsupported: CLIExit) throws -> [String: RawJSON] {
        let members: [String: String]
        if pkcs1 {
            guard let rsa = rsaNE(DER(der)) else { throw unsupported }
            members = rsa
        } else if let p256 = try? P256.Signing.PublicKey(derRepresentation: der) {
            let raw = p256.rawRepresentation  // x ‖ y, 32 bytes each
            members = ["kty": "EC", "crv": "P-256", "x": b64url(raw.prefix(32)), "y": b64url(raw.suffix(32))]
        } else if der.count == 44, der.prefix(12) == ed25519SPKIPrefix {
            members = ["kty": "OKP", "crv": "Ed25519", "x": b64url(der.suffix(32))]
        } else if let rsa = rsaSPKI(der) {
            members = rsa
        } else {
            throw unsupported
        }
        var jwk = members.mapValues { RawJSON.string($0) }
        jwk["kid"] = .string(thumbprint(members))
        return jwk
    }

    // RFC 8410 §4: SubjectPublicKeyInfo of Ed25519 (OID 1.3.101.112) and a 32-byte BIT STRING.
    static let ed25519SPKIPrefix = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00])
    // RFC 8017 Appendix C: rsaEncryption, 1.2.840.113549.1.1.1.
    static let rsaEncryptionOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    /// RFC 5280 §4.1.2.7 SubjectPublicKeyInfo holding an RFC 8017 RSAPublicKey.
    static func rsaSPKI(_ der: Data) -> [String: String]? {
        var outer = DER(der)
        guard let spkiBytes = outer.read(0x30) else { return nil }
        var spki = DER(spkiBytes)
        guard let algorithmBytes = spki.read(0x30) else { return nil }
        var algorithm = DER(algorithmBytes)
        guard algorithm.read(0x06) == Data(rsaEncryptionOID), let bits = spki.read(0x03), bits.first == 0 else { return nil }
        return rsaNE(DER(bits.dropFirst()))
    }

    /// RFC 8017 §A.1.1 RSAPublicKey: SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
    static func rsaNE(_ der: DER) -> [String: String]? {
        var der = der
        guard let sequence = der.read(0x30) else { return nil }
        var key = DER(sequence)
        guard let n = key.read(0x02), let e = key.read(0x02) else { return nil }
        // DER INTEGERs carry a leading zero when the top bit is set; JWK's are unsigned, minimal (RFC 7518 §6.3.1).
        return ["kty": "RSA", "n": b64url(n.drop { $0 == 0 }), "e": b64url(e.drop { $0 == 0 })]
    }

    /// RFC 7638 §3: SHA-256 over the required members, sorted, no whitespace.
    static func thumbprint(_ members: [String: String]) -> String {
        let required: [String] = switch members["kty"] ?? "" {
        case "EC": ["crv", "kty", "x", "y"]
        case "OKP": ["crv", "kty", "x"]
        default: ["e", "kty", "n"]
        }
        let json = "{" + required.map { "\"\($0)\":\"\(members[$0] ?? "")\"" }.joined(separator: ",") + "}"
        return b64url(Data(SHA256.hash(data: Data(json.utf8))))
    }

    static func b64url(_ d: some Sequence<UInt8>) -> String {
        Data(d).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Just enough DER (X.690 §8.1) to walk a public key: definite lengths, one tag at a time.
struct DER {
    var bytes: Data

    init(_ bytes: some Sequence<UInt8>) { self.bytes = Data(bytes) }

    /// The contents of the next element if it has `tag`; nil (and nothing consumed) otherwise.
    mutating func read(_ tag: UInt8) -> Data? {
        var i = bytes.startIndex
        guard i < bytes.endIndex, bytes[i] == tag else { return nil }
        i += 1
        guard i < bytes.endIndex else { return nil }
        var length = Int(bytes[i])
        i += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...3).contains(count), bytes.endIndex - i >= count else { return nil }
            length = bytes[i..<i + count].reduce(0) { $0 << 8 | Int($1) }
            i += count
        }
        guard bytes.endIndex - i >= length else { return nil }
        let value = Data(bytes[i..<i + length])
        bytes = Data(bytes[(i + length)...])
        return value
    }
}
