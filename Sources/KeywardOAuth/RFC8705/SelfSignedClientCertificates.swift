import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The registered certificates of a `self_signed_tls_client_auth` client (RFC 8705 §2.2): its
/// `jwks`, each key carrying in `x5c` the one self-signed certificate that holds it.
package enum SelfSignedClientCertificates {
    /// Validates a registration's `jwks`: the private_key_jwt key policy (`ClientKeyPolicy`),
    /// and for each key an `x5c` of exactly one certificate that is self-signed, holds that very
    /// key (RFC 7517 §4.7), and, if it has an extended key usage at all, names clientAuth
    /// (RFC 5280 §4.2.1.12). The same certificate twice is refused. Returns the keys, each with
    /// its `x5c` kept in the JSON to store (validity at a time: `refusal(storedKeys:now:)`).
    package static func validate(jwksJSON: String) throws(JOSEError) -> [PublicJWK] {
        let keys = try ClientKeyPolicy.validate(jwksJSON: jwksJSON)
        let entries = try StrictJSON.object(jwksJSON.utf8)["keys"]?.arrayValue ?? []
        var out: [PublicJWK] = [], thumbprints: Set<String> = []
        for (key, entry) in zip(keys, entries) {
            guard let x5c = entry.objectValue?["x5c"]?.arrayValue else {
                throw JOSEError("self_signed_tls_client_auth: each key needs x5c with its self-signed certificate")
            }
            // RFC 7517 §4.7: base64 (not base64url) DER; here exactly one certificate, the client's own.
            guard x5c.count == 1, let text = x5c[0].stringValue, text.utf8.count <= 16 * 1024,
                  let data = Data(base64Encoded: text), let cert = try? Certificate(derEncoded: Array(data)) else {
                throw JOSEError("x5c must hold exactly one base64 DER certificate")
            }
            guard ClientCertificateTrust.isSelfSigned(cert) else { throw JOSEError("the x5c certificate is not self-signed") }
            if cert.extensions[oid: .X509ExtensionID.extendedKeyUsage] != nil {
                guard let eku = try? cert.extensions.extendedKeyUsage, eku.contains(.clientAuth) else {
                    throw JOSEError("the x5c certificate has an extended key usage without clientAuth")
                }
            }
            guard key.holds(cert.publicKey) else { throw JOSEError("the x5c certificate does not hold the key's public key") }
            guard thumbprints.insert(ClientCertificateTrust.thumbprint(Array(data))).inserted else { throw JOSEError("jwks repeats a certificate") }
            out.append(key.storing(x5c: data.base64EncodedString()))
        }
        return out
    }

    /// Why the certificates of stored keys cannot be registered at `now` (one is not valid yet
    /// or has expired, RFC 5280 §4.1.2.5), or nil.
    package static func refusal(storedKeys: [String], now: Date) -> String? {
        for cert in certificates(storedKeys) {
            if now < cert.certificate.notValidBefore { return "an x5c certificate is not valid yet" }
            if now > cert.certificate.notValidAfter { return "an x5c certificate has expired" }
        }
        return nil
    }

    /// The certificate thumbprints of a client's stored keys (what `validate` stored).
    package static func thumbprints(storedKeys: [String]) -> Set<String> {
        Set(certificates(storedKeys).map { ClientCertificateTrust.thumbprint($0.der) })
    }

    /// The thumbprint of the certificate stored with one key, nil when it has none.
    package static func thumbprint(storedKey: String) -> String? {
        certificates([storedKey]).first.map { ClientCertificateTrust.thumbprint($0.der) }
    }

    static func certificates(_ storedKeys: [String]) -> [(der: [UInt8], certificate: Certificate)] {
        storedKeys.compactMap { json in
            guard let x5c = (try? StrictJSON.object(json.utf8))?["x5c"]?.arrayValue, let text = x5c.first?.stringValue,
                  let der = Data(base64Encoded: text).map(Array.init), let c = try? Certificate(derEncoded: der) else { return nil }
            return (der, c)
        }
    }

    /// One PEM or DER certificate's DER and SubjectPublicKeyInfo (DER), for a CLI that turns a
    /// certificate into a JWK or a CA pin; nil when the bytes are not one certificate.
    package static func parse(certificate bytes: [UInt8]) -> (der: [UInt8], subjectPublicKeyInfo: [UInt8])? {
        let der: [UInt8]
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN CERTIFICATE-----") {
            guard let doc = try? PEMDocument(pemString: text), doc.discriminator == "CERTIFICATE" else { return nil }
            der = doc.derBytes
        } else {
            der = bytes
        }
        // The whole SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), not only its key bits.
        var spki = DER.Serializer()
        guard let cert = try? Certificate(derEncoded: der), (try? spki.serialize(cert.publicKey)) != nil else { return nil }
        return (der, spki.serializedBytes)
    }
}

extension PublicJWK {
    /// The same key, stored with its certificate (`x5c`, base64 DER) after its public members.
    func storing(x5c: String) -> PublicJWK {
        PublicJWK(kty: kty, alg: alg, kid: kid, use: use, thumbprint: thumbprint,
                  publicJSON: String(publicJSON.dropLast()) + ",\"x5c\":[" + JSONText.quoted(x5c) + "]}", material: material)
    }

    /// Whether `key` (a certificate's) is this JWK's key.
    func holds(_ key: Certificate.PublicKey) -> Bool {
        switch material {
        case .p256(let k): P256.Signing.PublicKey(key)?.rawRepresentation == k.rawRepresentation
        case .ed25519(let k): Curve25519.Signing.PublicKey(key)?.rawRepresentation == k.rawRepresentation
        case .rsa(let k, _): _RSA.Signing.PublicKey(key)?.derRepresentation == k.derRepresentation
        }
    }
}
