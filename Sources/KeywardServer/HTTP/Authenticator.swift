import Foundation
import Hummingbird
import KeywardCore
import KeywardGovernance
import KeywardVerify

/// Management access (DESIGN.md): `Authorization: Bearer <key>` of the built-in `keyward`
/// identity with the needed `keyward:` scope; `keyward:admin` implies every scope.
/// Missing/unknown/invalid key → 401; valid key without the scope → 403.
struct Authenticator: Sendable {
    let verifier: Verifier

    func require(_ scope: Scope, _ request: Request) throws -> Principal {
        try authorize(request.headers[.authorization], scope)
    }

    /// The same check on a raw `Authorization` header value.
    func authorize(_ header: String?, _ scope: Scope) throws -> Principal {
        guard let header else {
            throw KeywardError(.unauthorized, "missing bearer key")
        }
        let prefix = "Bearer "
        guard header.count > prefix.count, header.hasPrefix(prefix) else {
            throw KeywardError(.unauthorized, "the Authorization header must be a bearer key")
        }
        let token = String(header.dropFirst(prefix.count))
        return try authorize(verifier.verify(token, recordUsage: false), scope)
    }

    /// The decision on a bearer key's verify outcome.
    func authorize(_ outcome: VerifyOutcome, _ scope: Scope) throws -> Principal {
        guard outcome.valid, let scopes = outcome.scopes, let keyID = outcome.keyID else {
            throw KeywardError(.unauthorized, "the bearer key is not valid")
        }
        // A customer's key is not a management key: 401 like any wrong key, so this API is
        // no validity oracle for keys that are not Keyward's own.
        guard outcome.identityID == .keyward else {
            throw KeywardError(.unauthorized, "the bearer key is not valid")
        }
        let isAdmin = scopes.contains(.admin)
        guard isAdmin || scopes.contains(scope) else {
            throw KeywardError(.forbidden, "the bearer key lacks the \(scope) scope")
        }
        return .managementKey(keyID, isAdmin: isAdmin)
    }
}
