import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward clients …`: OAuth clients (`private_key_jwt`) of inventory identities, over `/v1/clients`.
struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "Register, inspect and revoke OAuth clients (private_key_jwt) of an identity.",
        discussion: """
            A client proves who it is at POST /oauth/token with a JWT signed by its private key (RFC 7523) and receives
            a short-lived access token; revoking the client kills every token it holds. Only the public key is registered.
            """,
        subcommands: [Create.self, Federate.self, List.self, Show.self, Revoke.self]
    )

    static func printClient(_ c: ClientResponse) {
        Output.fields([("client_id", c.clientId), ("identity", c.identityId), ("name", c.clientName ?? "-"), ("status", c.status),
                       ("auth method", c.tokenEndpointAuthMethod), ("scope", c.scope), ("mode", c.environment),
                       ("dpop-bound", c.dpopBoundAccessTokens ? "yes" : "no"), ("live tokens", c.liveTokens.map(String.init) ?? "-"),
                       ("created", Output.date(c.createdAt))]
                      + (c.revokedAt.map { [("revoked", Output.date($0)), ("revoke reason", c.revokeReason ?? "-")] } ?? [])
                      + (c.workloadTrust.map { t in
                          [("trusts issuer", t.issuer), ("subject", t.subject), ("audience", t.audience),
                           ("claims", t.claims.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } ?? "-"),
                           ("single use", t.singleUse == false ? "no" : "yes")]
                      } ?? [])
                      + (c.jwksUri.map { [("jwks_uri", $0)] } ?? [])
                      + certificateFields(c))
        // A tls_client_auth client holds no keys: no empty table.
        guard !c.keys.isEmpty else { return }
        Output.line("")
        Output.table(["KID", "KTY", "ALG", "THUMBPRINT (RFC 7638)"], c.keys.map { [$0.kid ?? "-", $0.kty, $0.alg ?? "-", $0.thumbprint] })
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client: private_key_jwt from its public key(s), or mutual TLS by its certificate.",
            discussion: """
                --jwks takes a JWK set ({"keys":[…]}), one public JWK, or a PEM public key (EC P-256, Ed25519 or RSA,
                "BEGIN PUBLIC KEY"), converted to a JWK here with its RFC 7638 thumbprint as kid. An EC P-256 or Ed25519
                JWK without alg gets ES256 or EdDSA; an RSA one needs --alg RS256 or PS256. A file holding a private key
                is refused before anything is sent. --jwks-uri URL instead registers the keys the client publishes there
                (https; a host the server allows with serve --jwks-allow): the server fetches it now and again when the client
                rotates its keys.
                --auth tls_client_auth (RFC 8705 §2.1) names the certificate by --subject-dn or --san-dns, and --ca-cert
                pins the CA it must come through (required when the server trusts several client CAs).
                --auth self_signed_tls_client_auth (§2.2) registers --cert, the client's self-signed certificate (not its key).
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "Identity id (idn_…).") var identity: String
        @Option(help: "private_key_jwt (default), tls_client_auth or self_signed_tls_client_auth.") var auth = "private_key_jwt"
        @Option(help: "private_key_jwt: the client's public key(s), a JWKS or JWK JSON file, or a PEM public key.") var jwks: String?
        @Option(help: "private_key_jwt: or the https URL where the client publishes its JWK set (a host the server allows).") var jwksUri: String?
        @Option(help: "self_signed_tls_client_auth: the client's self-signed certificate, PEM or DER (never its key).") var cert: String?
        @Option(help: "tls_client_auth: the certificate's subject DN (RFC 4514, e.g. CN=orders,O=Example).") var subjectDn: String?
        @Option(help: "tls_client_auth: one DNS name in the certificate's subjectAltName.") var sanDns: String?
        @Option(help: "tls_client_auth: the CA certificate file (or its base64url SHA-256) the client's certificates must come through.")
        var caCert: String?
        @Flag(help: "Its access tokens are bound to its TLS client certificate (RFC 8705 §3).") var certificateBound = false
        @Option(name: .customLong("scope"), help: "Scopes it may ask for: \"a b\" or repeated (each within the identity's allowed scopes).")
        var scopes: [String] = []
        @Option(help: "A name for the client.") var name: String?
        @Option(help: "live or test (default: live).") var environment: String?
        @Option(help: "ES256, EdDSA, RS256 or PS256, for keys that name no alg (needed for RSA).") var alg: String?
        @Flag(help: "Its access tokens are DPoP-bound (RFC 9449): each use needs a proof from the client's DPoP key.") var dpopBound = false

        func run() async throws {
            try Arg.identity(identity)
            if let environment, !["live", "test"].contains(environment) { throw CLIExit.error("--environment must be live or test") }
            let scope = scopes.flatMap { $0.split(separator: " ").map(String.init) }
            guard !scope.isEmpty else { throw CLIExit.error("--scope is required: the scopes the client may ask for") }
            var req = ClientCreateRequest(identityId: identity, clientName: name, tokenEndpointAuthMethod: auth,
                                          scope: scope.joined(separator: " "), environment: environment, dpopBoundAccessTokens: dpopBound ? true : nil)
            try addAuthentication(to: &req)
            let c = try await client.client().call("POST", "/v1/clients", body: req, as: ClientResponse.self)
            try client.present(c, id: c.clientId) { ClientsCommand.printClient(c) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Filter by identity id.") var identity: String?
        @Option(help: "Page size (1-500).") var limit: Int = 50
        @Option(help: "Cursor from a previous page.") var cursor: String?

        func run() async throws {
            var q = [("limit", String(limit))]
            if let identity {
                try Arg.identity(identity)
                q.append(("identity_id", identity))
            }
            if let cursor { q.append(("cursor", cursor)) }
            let page = try await client.client().call("GET", "/v1/clients" + Query.string(q), as: ListResponse<ClientResponse>.self)
            try client.present(page, ids: \.clientId) {
                Output.table(["CLIENT_ID", "STATUS", "IDENTITY", "SCOPE", "NAME", "CREATED"],
                             page.items.map { [$0.clientId, $0.status, $0.identityId, $0.scope, $0.clientName ?? "-", Output.date($0.createdAt)] })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client, its keys' thumbprints and how many live tokens it holds.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Client id (cli_…).") var id: String
        func run() async throws {
            try Arg.client(id)
            let c = try await client.client().call("GET", "/v1/clients/\(Query.path(id))", as: ClientResponse.self)
            try client.present(c, id: c.clientId) { ClientsCommand.printClient(c) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a client, now, and every access token it holds.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Client id (cli_…).") var id: String
        @Option(help: "Why (recorded in the audit log).") var reason: String?
        @Flag(help: "Do not ask for confirmation.") var yes = false
        func run() async throws {
            try Arg.client(id)
            try Confirm.ask("Revoke client \(id) and every access token it holds, now?", yes: yes)
            let r = try await client.client().call("POST", "/v1/clients/\(Query.path(id))/revoke", body: ClientRevokeRequest(reason: reason),
                                                    as: ClientRevokeResponse.self)
            try client.present(r, id: r.client.clientId) {
                Output.line("revoked \(r.client.clientId): \(r.tokensRevoked) live access token\(r.tokensRevoked == 1 ? "" : "s") revoked with it")
            }
        }
    }
}

extension Arg {
    static func client(_ value: String, flag: String = "CLIENT-ID") throws {
        guard OAuthClientID(value) == nil else { return }
        throw CLIExit.error("\(flag) must be a client id (cli_…); to find it: keyward clients list --identity idn_…")
    }
}
