import KeywardCore

/// Who asked for a change: recorded as the audit actor. (Named so as not to shadow Swift's `Actor`.)
package struct Principal: Sendable {
    package var name: String
    package var isAdmin: Bool
    package static let system = Principal(name: "system", isAdmin: true)
    /// A management key, named in the audit as `key:<id>` (API calls and console sessions alike).
    package static func managementKey(_ id: KeyID, isAdmin: Bool) -> Principal { Principal(name: "key:\(id)", isAdmin: isAdmin) }
    package init(name: String, isAdmin: Bool) {
        self.name = name
        self.isAdmin = isAdmin
    }
}
