import Foundation
import KeywardScanner
import KeywardTesting
import Testing

/// A found private key is reported by the RFC 7638 thumbprint of its public half. The keys are made
/// at test time by openssl and ssh-keygen; the expected thumbprints by Python's `cryptography` and
/// `joserfc` (an independent implementation), from the public key alone.
@Suite("private key thumbprints")
struct PrivateKeyThumbprintTests {
    static let expected = """
        import sys
        from cryptography.hazmat.primitives import serialization
        from joserfc.jwk import import_key
        data = open(sys.argv[1], "rb").read()
        if b"OPENSSH" in data:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
        pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        print(import_key(pub).thumbprint())
        """

    static func make(_ dir: TempDirectory, _ name: String, _ tool: String, _ args: [String]) async throws -> String {
        let path = dir.path + "/" + name
        let r = try await ProcessRunner.run(tool, args.map { $0.replacingOccurrences(of: "OUT", with: path) })
        #expect(r.status == 0, "\(tool) failed: \(r.stderr)")
        return path
    }

    static func thumbprints(_ path: String) async throws -> (ours: String?, theirs: String) {
        let theirs = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", expected, path])
        #expect(theirs.status == 0, "\(theirs.stderr)")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return (PrivateKeyThumbprint.of(bytes), theirs.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("EC P-256 (SEC1 and PKCS#8), RSA (PKCS#1 and PKCS#8), Ed25519 (PKCS#8) and OpenSSH ed25519/ECDSA/RSA keys: the public half's RFC 7638 thumbprint")
    func formats() async throws {
        let dir = try TempDirectory("keyward-pkthumb")
        defer { dir.remove() }
        let ossl = "/usr/bin/openssl"
        var keys = [
            try await Self.make(dir, "ec-sec1.pem", ossl, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "OUT"]),
            try await Self.make(dir, "ec-p384.pem", ossl, ["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "OUT"]),
            try await Self.make(dir, "rsa-pkcs8.pem", ossl, ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "OUT"]),
            try await Self.make(dir, "ed25519.pem", ossl, ["genpkey", "-algorithm", "ED25519", "-out", "OUT"]),
        ]
        keys.append(try await Self.make(dir, "ec-pkcs8.pem", ossl, ["pkcs8", "-topk8", "-nocrypt", "-in", keys[0], "-out", "OUT"]))
        keys.append(try await Self.make(dir, "rsa-pkcs1.pem", ossl, ["rsa", "-traditional", "-in", keys[2], "-out", "OUT"]))
        for type in ["ed25519", "ecdsa", "rsa"] {
            keys.append(try await Self.make(dir, "ssh-\(type)", "/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "", "-f", "OUT"]))
        }
        for k in keys {
            let (ours, theirs) = try await Self.thumbprints(k)
            #expect(ours == theirs, "\(k): \(ours ?? "nil") vs \(theirs)")
            #expect(theirs.count == 43)
        }
    }

    @Test("a key pasted into code as a string literal with \\n escapes has the same thumbprint as the file")
    func escapedInCode() async throws {
        let dir = try TempDirectory("keyward-pkthumb")
        defer { dir.remove() }
        let path = try await Self.make(dir, "ec.pem", "/usr/bin/openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "OUT"])
        let pem = try String(contentsOfFile: path, encoding: .utf8)
        let literal = "const key = \"" + pem.replacingOccurrences(of: "\n", with: "\\n") + "\";"
        let (ours, theirs) = try await Self.thumbprints(path)
        #expect(ours == theirs)
        #expect(PrivateKeyThumbprint.of(Array(literal.utf8)) == theirs)
    }

    @Test("an encrypted PEM key, a truncated key and garbage have no thumbprint (and do not crash)")
    func noThumbprint() async throws {
        let dir = try TempDirectory("keyward-pkthumb")
        defer { dir.remove() }
        let plain = try await Self.make(dir, "ec.pem", "/usr/bin/openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "OUT"])
        let enc = try await Self.make(dir, "enc.pem", "/usr/bin/openssl", ["pkcs8", "-topk8", "-in", plain, "-passout", "pass:pw", "-out", "OUT"])
        #expect(PrivateKeyThumbprint.of(Array(try Data(contentsOf: URL(fileURLWithPath: enc)))) == nil)
        let text = try String(contentsOfFile: plain, encoding: .utf8)
        #expect(PrivateKeyThumbprint.of(Array(text.prefix(text.count / 2).utf8)) == nil)
        #expect(PrivateKeyThumbprint.of(Array("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----".utf8)) == nil)
        #expect(PrivateKeyThumbprint.of([0xFF, 0x00, 0x30, 0x82]) == nil)
    }
}
