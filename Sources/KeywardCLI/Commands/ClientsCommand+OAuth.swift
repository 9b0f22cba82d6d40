import ArgumentParser
import Foundation
import KeywardAPI

/// `keyward oauth …`: the authorization server's own material, shared by every client. Its own
/// command rather than `clients rotate-signing-key`, since the signing key is the server's, not a
/// client's (the route is `/v1/oauth/signing-keys/rotate`).
struct OAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth",
        abstract: "The authorization server's signing keys.",
        subcommands: [RotateSigningKey.self]
    )

    struct RotateSigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing-key",
            abstract: "Sign new access tokens with a new key; the old one stays in /.well-known/jwks.json until its last token expires.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            struct Rotated: Codable { var kid: String }
            let r = try await client.client().call("POST", "/v1/oauth/signing-keys/rotate", body: [String: String](), as: Rotated.self)
            try client.present(r, id: r.kid) { Output.line("new signing key \(r.kid); the previous one stays published until its last token expires") }
        }
    }
}
