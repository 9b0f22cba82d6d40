import Foundation

/// A test PKI for mutual TLS, made by openssl in a temp folder at test time (never committed):
/// a CA, a second CA, both in one bundle, a server certificate for 127.0.0.1 from the first, and
/// client certificates issued on demand (by a CA or self-signed) with a subject, extensions, an
/// issuing CA and optionally fixed dates.
package struct MutualTLSPKI: Sendable {
    package let dir: TempDirectory
    package var ca: String { dir.file("ca.pem") }
    package var otherCA: String { dir.file("ca2.pem") }
    /// Both CAs in one bundle (`--client-ca` trusting two CAs).
    package var bothCAs: String { dir.file("cas.pem") }
    package var serverCert: String { dir.file("server.pem") }
    package var serverKey: String { dir.file("server.key") }

    package static func make() async throws -> MutualTLSPKI {
        let pki = MutualTLSPKI(dir: try TempDirectory("keyward-mtls-pki"))
        for (name, cn) in [("ca", "Keyward Test CA"), ("ca2", "Keyward Other Test CA")] {
            try await pki.selfSigned(name, subject: "/CN=\(cn)",
                                     extensions: "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n")
        }
        _ = try pki.bundle("cas.pem", of: ["ca", "ca2"])
        _ = try await pki.issue("server", subject: "/CN=127.0.0.1",
                                extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        return pki
    }

    /// Issues `name.pem` / `name.key` (P-256) signed by `ca` (`"ca"` or `"ca2"`), valid for `dates`
    /// (`YYYYMMDDHHMMSSZ` each) or else from a minute ago for two days. Returns the PEM path.
    @discardableResult
    package func issue(_ name: String, subject: String, extensions: String, ca: String = "ca",
                       dates: (start: String, end: String)? = nil) async throws -> String {
        try await make(name, subject: subject, extensions: extensions, signer: ["-cert", "\(ca).pem", "-keyfile", "\(ca).key"], dates: dates)
    }

    /// Makes `name.pem` / `name.key` (P-256), a certificate signed by its own key, with
    /// `extensions` and, with `dates`, a fixed validity period (else from a minute ago for two days).
    @discardableResult
    package func selfSigned(_ name: String, subject: String, extensions: String, dates: (start: String, end: String)? = nil) async throws -> String {
        try await make(name, subject: subject, extensions: extensions, signer: ["-selfsign", "-keyfile", "\(name).key"], dates: dates)
    }

    /// A P-256 key and CSR for `subject`, signed by `signer` (`openssl ca` arguments) with
    /// `extensions`, valid for `dates` or `fromNow`.
    private func make(_ name: String, subject: String, extensions: String, signer: [String], dates: (start: String, end: String)?) async throws -> String {
        let ext = dir.file("\(name).ext")
        try extensions.write(toFile: ext, atomically: true, encoding: .utf8)
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                           "-keyout", "\(name).key", "-out", "\(name).csr"])
        try await signWithCA(name, ext: ext, signer: signer, dates: dates ?? Self.fromNow)
        return dir.file("\(name).pem")
    }

    /// Writes the PEM certificates of `names` into one bundle file; returns its path.
    package func bundle(_ file: String, of names: [String]) throws -> String {
        let text = try names.map { try String(contentsOfFile: cert($0), encoding: .utf8) }.joined()
        try text.write(toFile: dir.file(file), atomically: true, encoding: .utf8)
        return dir.file(file)
    }

    /// The default validity: from a minute ago (a test's clock taken just before the PKI is made,
    /// and openssl's whole seconds, must not find a certificate not yet valid) for two days.
    static var fromNow: (start: String, end: String) {
        (asn1Time(Date(timeIntervalSinceNow: -60)), asn1Time(Date(timeIntervalSinceNow: 2 * 86_400)))
    }

    static func asn1Time(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMddHHmmss'Z'"
        return f.string(from: d)
    }

    /// `openssl ca` for `name.csr` with fixed dates; `signer` names the CA (or `-selfsign`).
    func signWithCA(_ name: String, ext: String, signer: [String], dates: (start: String, end: String)) async throws {
        let db = dir.file("\(name).db")
        try "".write(toFile: db, atomically: true, encoding: .utf8)
        let config = """
            [ca]
            default_ca = d
            [d]
            database = \(db)
            new_certs_dir = \(dir.path)
            serial = \(dir.file("\(name).serial"))
            default_md = sha256
            policy = any
            unique_subject = no
            [any]
            commonName = optional
            """
        // A random serial: certificates of one issuer must not share one.
        let serial = (0..<16).map { i in String(format: "%02x", UInt8.random(in: 0...(i == 0 ? 0x7f : 0xff))) }.joined() // positive
        try "\(serial)\n".write(toFile: dir.file("\(name).serial"), atomically: true, encoding: .utf8)
        try config.write(toFile: dir.file("\(name).cnf"), atomically: true, encoding: .utf8)
        try await openssl(["ca", "-batch", "-notext", "-config", "\(name).cnf"] + signer + [
            "-in", "\(name).csr", "-out", "\(name).pem", "-startdate", dates.start, "-enddate", dates.end, "-extfile", ext, "-preserveDN"])
    }

    package func cert(_ name: String) -> String { dir.file("\(name).pem") }
    package func key(_ name: String) -> String { dir.file("\(name).key") }

    /// The DER bytes of `name.pem`.
    package func der(_ name: String) throws -> [UInt8] {
        let pem = try String(contentsOfFile: cert(name), encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { throw POSIXError(.EINVAL) }
        return Array(data)
    }

    func openssl(_ args: [String]) async throws {
        let r = try await ProcessRunner.run("/usr/bin/openssl", args, currentDirectory: dir.path)
        guard r.status == 0 else { throw KeywardTestPKIError(message: "openssl \(args.first ?? ""): \(r.stderr.suffix(500))") }
    }
}

struct KeywardTestPKIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
