import Foundation

// Wire types of declared consumers (who depends on an identity).
// Memberwise `package init`s are written out because Swift synthesises them only as internal.

package struct ConsumerCreateRequest: Codable, Sendable {
    package var name: String
    package var kind: String
    package var environment: String
    package var contact: String?
    /// Key ids and credential ids this consumer holds.
    package var holds: [String]?
    /// How to recognise it in verify telemetry (issue 15).
    package var sources: [ConsumerSourceBody]?
    package init(name: String, kind: String, environment: String, contact: String?, holds: [String]?, sources: [ConsumerSourceBody]? = nil) {
        self.sources = sources
        self.name = name
        self.kind = kind
        self.environment = environment
        self.contact = contact
        self.holds = holds
    }
}

package struct ConsumerResponse: Codable, Sendable {
    package var id: String
    package var name: String
    package var kind: String
    package var environment: String
    package var contact: String?
    package var holds: [String]
    package var createdAt: Date
    package var sources: [ConsumerSourceBody]?
    package init(id: String, name: String, kind: String, environment: String, contact: String?, holds: [String], createdAt: Date,
                 sources: [ConsumerSourceBody]? = nil) {
        self.sources = sources
        self.id = id
        self.name = name
        self.kind = kind
        self.environment = environment
        self.contact = contact
        self.holds = holds
        self.createdAt = createdAt
    }
}
