/// Who asked for a change: recorded as the audit actor. (Named so as not to shadow Swift's `Actor`.)
package struct Principal: Sendable {
    package var name: String
    package var isAdmin: Bool
    package static let system = Principal(name: "system", isAdmin: true)
    package init(name: String, isAdmin: Bool) {
        self.name = name
        self.isAdmin = isAdmin
    }
}
