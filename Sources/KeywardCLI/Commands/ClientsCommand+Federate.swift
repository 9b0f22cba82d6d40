import ArgumentParser
import Foundation
import KeywardAPI

extension ClientsCommand {
    /// `keyward clients federate`: a client that holds no secret. Its workload exchanges the token
    /// its platform gives it (GitHub Actions or GitLab CI OIDC, a Kubernetes service-account token,
    /// a SPIFFE JWT-SVID) for a short-lived Keyward token.
    struct Federate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a secretless client that trusts tokens of an external workload issuer.",
            discussion: """
                The workload sends its platform's token to POST /oauth/token as
                grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<token> (or as a client_assertion) and
                gets a short-lived access token of this client. The token must be signed by one of the issuer's keys
                (--jwks: the issuer's public JWK set saved from its jwks_uri; or --jwks-uri to follow it), carry exactly --subject as sub,
                --audience among its aud, and every --claim NAME=VALUE. A subject with a wildcard is refused: a trust
                names one workload. By default each workload token is exchanged once (--reusable for platforms that
                hand a workload one token for an hour, such as Kubernetes projected tokens).
                """)
        @OptionGroup var client: ClientOptions
        @Option(help: "Identity id (idn_…).") var identity: String
        @Option(help: "The issuer's identifier, exactly as its tokens' iss (https).") var issuer: String
        @Option(help: "The issuer's public keys: a JWKS or JWK JSON file, or a PEM public key.") var jwks: String?
        @Option(help: "Or: the issuer's https jwks_uri, followed as it rotates (a host the server allows with serve --jwks-allow).")
        var jwksUri: String?
        @Option(help: "The one sub its tokens must carry (e.g. repo:org/app:ref:refs/heads/main).") var subject: String
        @Option(help: "The aud its tokens must carry (what the workload asks its platform for).") var audience: String
        @Option(name: .customLong("claim"), help: "NAME=VALUE: a string claim the token must carry (repeatable, at most 16).")
        var claims: [String] = []
        @Flag(help: "A workload token may be exchanged more than once until it expires.") var reusable = false
        @Option(name: .customLong("scope"), help: "Scopes it may ask for: \"a b\" or repeated (each within the identity's allowed scopes).")
        var scopes: [String] = []
        @Option(help: "A name for the client.") var name: String?
        @Option(help: "live or test (default: live).") var environment: String?
        @Option(help: "ES256, EdDSA, RS256 or PS256, for keys that name no alg (needed for RSA).") var alg: String?
        @Flag(help: "Its access tokens are DPoP-bound (RFC 9449).") var dpopBound = false

        func run() async throws {
            try Arg.identity(identity)
            if let environment, !["live", "test"].contains(environment) { throw CLIExit.error("--environment must be live or test") }
            let scope = scopes.flatMap { $0.split(separator: " ").map(String.init) }
            guard !scope.isEmpty else { throw CLIExit.error("--scope is required: the scopes the client may ask for") }
            var conditions: [String: String] = [:]
            for c in claims {
                guard let eq = c.firstIndex(of: "="), eq != c.startIndex else { throw CLIExit.error("--claim expects NAME=VALUE") }
                let key = String(c[..<eq])
                guard conditions[key] == nil else { throw CLIExit.error("--claim \(key) is given twice") }
                conditions[key] = String(c[c.index(after: eq)...])
            }
            guard (jwks == nil) != (jwksUri == nil) else {
                throw CLIExit.error("give the issuer's public keys with exactly one of --jwks FILE and --jwks-uri URL")
            }
            let set = try jwks.map { try ClientKeyFile.read($0, alg: alg) }
            let trust = WorkloadTrustDTO(issuer: issuer, jwks: set, jwksUri: jwksUri, subject: subject, audience: audience,
                                         claims: conditions.isEmpty ? nil : conditions, singleUse: !reusable)
            var req = ClientCreateRequest(identityId: identity, clientName: name, tokenEndpointAuthMethod: "workload_federation",
                                          scope: scope.joined(separator: " "), environment: environment, dpopBoundAccessTokens: dpopBound ? true : nil)
            req.workloadTrust = trust
            let c = try await client.client().call("POST", "/v1/clients", body: req, as: ClientResponse.self)
            try client.present(c, id: c.clientId) { ClientsCommand.printClient(c) }
        }
    }
}
