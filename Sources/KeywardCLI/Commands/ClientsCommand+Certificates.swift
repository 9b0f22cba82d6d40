import Foundation
import KeywardAPI
import KeywardOAuth

/// Certificate files for `keyward clients create`: a `self_signed_tls_client_auth` client's
/// certificate (`--cert`, turned into a JWK with the certificate in `x5c`) and a CA to pin
/// (`--ca-cert`, sent as its SHA-256 thumbprint). Private keys are refused before anything is
/// sent, and no message quotes a file's content.
enum ClientCertificateFile {
    /// The registration's `jwks`: one key, the certificate's, with the certificate as `x5c`.
    /// `alg` names the algorithm of an RSA key (RS256 when not given: TLS does not use it).
    static func jwks(_ path: String, alg: String?) throws -> RawJSON {
        let (der, spki) = try certificate(path, flag: "--cert")
        var jwk = try PEMPublicKey.jwk(der: Data(spki), unsupported: CLIExit.error("--cert \(path): the certificate's key is not EC P-256, Ed25519 or RSA"))
        let kty = ClientKeyFile.string(jwk["kty"])
        jwk["alg"] = .string(try ClientKeyFile.algorithm(jwk, given: alg ?? (kty == "RSA" ? "RS256" : nil), path: path))
        // RFC 7517 §4.7: x5c holds base64 (not base64url) DER.
        jwk["x5c"] = .array([.string(Data(der).base64EncodedString())])
        return .object(["keys": .array([.object(jwk)])])
    }

    /// RFC 8705 §7.4 pin: a CA certificate file's base64url SHA-256, or a thumbprint as given.
    static func thumbprint(_ value: String) throws -> String {
        if !FileManager.default.fileExists(atPath: value), value.utf8.count == 43,
           value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            return value
        }
        return ClientCertificateTrust.thumbprint(try certificate(value, flag: "--ca-cert").der)
    }

    static func certificate(_ path: String, flag: String) throws -> (der: [UInt8], spki: [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIExit.error("\(flag) \(path): cannot read the file") }
        guard data.count <= ClientKeyFile.maxBytes else { throw CLIExit.error("\(flag) \(path): larger than 64 KiB; a certificate is a few KiB") }
        if String(decoding: data, as: UTF8.self).contains("PRIVATE KEY-----") {
            throw CLIExit.error("\(flag) \(path) holds a private key: pass the certificate only; the key stays with the client. Nothing was sent")
        }
        guard let parsed = SelfSignedClientCertificates.parse(certificate: Array(data)) else {
            throw CLIExit.error("\(flag) \(path): not one PEM or DER X.509 certificate")
        }
        return (parsed.der, parsed.subjectPublicKeyInfo)
    }
}

extension ClientsCommand.Create {
    /// The members of the chosen `--auth` method; a flag that belongs to another method is an error.
    func addAuthentication(to req: inout ClientCreateRequest) throws {
        func only(_ allowed: Set<String>) throws {
            let given: [(String, Bool)] = [("--jwks", jwks != nil), ("--jwks-uri", jwksUri != nil), ("--cert", cert != nil), ("--subject-dn", subjectDn != nil),
                                           ("--san-dns", sanDns != nil), ("--ca-cert", caCert != nil)]
            if let wrong = given.first(where: { $0.1 && !allowed.contains($0.0) }) {
                throw CLIExit.error("\(wrong.0) does not go with --auth \(auth)")
            }
        }
        switch auth {
        case "private_key_jwt":
            try only(["--jwks", "--jwks-uri"])
            guard (jwks == nil) != (jwksUri == nil) else {
                throw CLIExit.error("give the client's public keys with exactly one of --jwks FILE and --jwks-uri URL")
            }
            if let jwksUri {
                if alg != nil { throw CLIExit.error("--alg goes with --jwks: keys at a jwks_uri name their own alg") }
                req.jwksUri = jwksUri
            } else if let jwks {
                req.jwks = try ClientKeyFile.read(jwks, alg: alg)
            }
        case "tls_client_auth":
            try only(["--subject-dn", "--san-dns", "--ca-cert"])
            guard (subjectDn == nil) != (sanDns == nil) else { throw CLIExit.error("tls_client_auth needs one of --subject-dn or --san-dns") }
            req.tlsClientAuthSubjectDn = subjectDn
            req.tlsClientAuthSanDns = sanDns
            req.tlsClientAuthCaThumbprint = try caCert.map(ClientCertificateFile.thumbprint)
        case "self_signed_tls_client_auth":
            try only(["--cert"])
            guard let cert else { throw CLIExit.error("--cert is required: the client's self-signed certificate") }
            req.jwks = try ClientCertificateFile.jwks(cert, alg: alg)
        default:
            throw CLIExit.error("--auth must be private_key_jwt, tls_client_auth or self_signed_tls_client_auth")
        }
        if certificateBound { req.tlsClientCertificateBoundAccessTokens = true }
    }
}

extension ClientsCommand {
    /// The mutual-TLS lines of a client: how its certificate is named, pinned or registered.
    static func certificateFields(_ c: ClientResponse) -> [(String, String)] {
        let named: [(String, String?)] = [("subject DN", c.tlsClientAuthSubjectDn), ("SAN DNS", c.tlsClientAuthSanDns),
                                          ("CA pin (SHA-256)", c.tlsClientAuthCaThumbprint)]
        return named.compactMap { name, value in value.map { (name, $0) } }
            + c.keys.compactMap { $0.certificateThumbprint.map { ("certificate (SHA-256)", $0) } }
            + (c.tlsClientCertificateBoundAccessTokens ? [("certificate-bound", "yes")] : [])
    }
}
