/// One credential Keyward governs, whatever its kind: a Keyward key or an imported third-party
/// credential (OAuth clients and tokens join here). What incidents, exposures, derivation links
/// and consumers name, instead of a kind string beside an id string.
package enum CredentialRef: Hashable, Sendable, CustomStringConvertible {
    case key(KeyID)
    case credential(CredentialID)
    /// An OAuth client (`cli_…`): what its tokens derive from.
    case client(OAuthClientID)

    /// The kind as stored and on the wire: `key` or `credential`.
    package var kind: String {
        switch self {
        case .key: "key"
        case .credential: "credential"
        case .client: "client"
        }
    }

    /// The id as stored and on the wire (`key_…`, `crd_…`).
    package var description: String {
        switch self {
        case .key(let id): id.description
        case .credential(let id): id.description
        case .client(let id): id.description
        }
    }

    /// From an id alone: its prefix says the kind.
    package init?(_ id: String) {
        if let k = KeyID(id) {
            self = .key(k)
        } else if let c = CredentialID(id) {
            self = .credential(c)
        } else if let c = OAuthClientID(id) {
            self = .client(c)
        } else {
            return nil
        }
    }

    /// From a stored kind and id; nil when they disagree or either is unknown.
    package init?(kind: String, id: String) {
        guard let r = CredentialRef(id), r.kind == kind else { return nil }
        self = r
    }

    package var keyID: KeyID? {
        if case .key(let id) = self { return id }
        return nil
    }
}
