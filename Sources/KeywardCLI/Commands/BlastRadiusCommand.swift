import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore

/// `keyward keys blast-radius ID`
struct BlastRadiusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blast-radius", abstract: "What breaks and what is reachable if this key is revoked.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Key id (key_…).") var id: String
    func run() async throws {
        let r = try await client.client().call("GET", "/v1/keys/\(Query.path(id))/blast-radius", as: BlastRadius.self)
        if client.json { try Output.json(r) } else { Self.print(r) }
    }

    static func print(_ r: BlastRadius) {
        Output.fields([("target", "\(r.target.kind) \(r.target.id) (\(r.target.status))"), ("owner", r.owner.name + " " + r.owner.identityId),
                       ("technical owner", r.owner.technicalOwner ?? "-"), ("business owner", r.owner.businessOwner ?? "-"),
                       ("scopes", r.scopes.joined(separator: " ")), ("resources", r.resources.joined(separator: " ")),
                       ("third parties", r.thirdParties.isEmpty ? "-" : r.thirdParties.joined(separator: ", "))])
        if !r.derivedCredentials.isEmpty {
            Output.line("\nderived credentials (revoked with it):")
            Output.table(["KIND", "ID", "STATUS"], r.derivedCredentials.map { [$0.kind, $0.id, $0.status] })
        }
        if !r.declaredConsumers.isEmpty {
            Output.line("\ndeclared consumers (break when it is revoked):")
            Output.table(["ID", "NAME", "KIND", "ENVIRONMENT", "CONTACT"], r.declaredConsumers.map { [$0.id, $0.name, $0.kind, $0.environment, $0.contact ?? "-"] })
        }
        if !r.observedConsumers.isEmpty {
            Output.line("\nobserved by verify:")
            Output.table(["IP", "USER AGENT", "CERT SUBJECT", "COUNT", "LAST SEEN", "DECLARED"], r.observedConsumers.map {
                [$0.ip ?? "-", $0.userAgent ?? "-", $0.clientCertSubject ?? "-", String($0.count), Output.date($0.lastSeen), $0.undeclared ? "no" : "yes"]
            })
        }
        if !r.reuse.isEmpty {
            Output.line("\nthe same secret registered elsewhere:")
            Output.table(["KIND", "ID", "IDENTITY", "ENVIRONMENT"], r.reuse.map { [$0.kind, $0.id, $0.identityId ?? "-", $0.environment ?? "-"] })
        }
    }
}
