/// What sort of non-human actor an identity is.
package enum IdentityKind: String, Sendable, CaseIterable, Codable {
    case service, workload, pipeline, thirdParty = "third_party", agent
}

/// Data classification of what an identity touches.
package enum DataClassification: String, Sendable, CaseIterable, Codable {
    case `public`, `internal`, confidential, restricted
}

package enum IdentityStatus: String, Sendable, Codable {
    case active, decommissioned
}
