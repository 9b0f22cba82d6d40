import Foundation
import KeywardCore
import KeywardOAuth
import NIOSSL

/// The server's TLS configuration from PEM files (swift-nio-ssl): TLS 1.2 or later, and with a
/// client CA (or `--self-signed-client-certs`), mutual TLS. Every failure names the file and
/// never echoes key material.
enum TLSSetup {
    /// The TLS configuration, and for mutual TLS how presented client chains are judged at the
    /// handshake (`MutualTLSChannel` runs it for every connection).
    struct Server: Sendable {
        var configuration: TLSConfiguration
        var clientTrust: ClientCertificateTrust?
    }

    static func configuration(_ config: ServerConfiguration) throws -> Server? {
        guard let certFile = config.tlsCertificateFile, let keyFile = config.tlsKeyFile else { return nil }
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certFile) } catch {
            throw KeywardError(.validation, "--tls-cert \(certFile): not a readable PEM certificate chain")
        }
        guard !chain.isEmpty else { throw KeywardError(.validation, "--tls-cert \(certFile): no certificate in the file") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            throw KeywardError(.validation, "--tls-key \(keyFile): not a readable PEM private key")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        var roots: [NIOSSLCertificate] = []
        if let caFile = config.clientCAFile {
            do { roots = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
                throw KeywardError(.validation, "--client-ca \(caFile): not a readable PEM certificate bundle")
            }
            guard !roots.isEmpty else { throw KeywardError(.validation, "--client-ca \(caFile): no certificate in the file") }
            tls.trustRoots = .certificates(roots)
        }
        var trust: ClientCertificateTrust?
        if !roots.isEmpty || config.selfSignedClientCertificates {
            // The handshake asks for a client certificate; ClientCertificateTrust decides.
            tls.certificateVerification = config.clientCertificateRequired ? .noHostnameVerification : .optionalVerification
            let ders = roots.compactMap { try? $0.toDERBytes() }
            guard ders.count == roots.count, let t = ClientCertificateTrust(rootsDER: ders, acceptsSelfSigned: config.selfSignedClientCertificates) else {
                throw KeywardError(.validation, "--client-ca \(config.clientCAFile ?? ""): a certificate in the bundle cannot be parsed")
            }
            trust = t
        }
        // Fail at start-up, not at the first handshake, if the key does not match the certificate.
        do { _ = try NIOSSLContext(configuration: tls) } catch {
            throw KeywardError(.validation, "--tls-cert/--tls-key: the key and certificate cannot be used together")
        }
        return Server(configuration: tls, clientTrust: trust)
    }
}
