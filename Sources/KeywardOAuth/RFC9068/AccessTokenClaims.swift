import Foundation

/// How an access token is bound to its client (RFC 7800 `cnf`): a DPoP key thumbprint
/// (RFC 9449 §6.1) or a client certificate thumbprint (RFC 8705 §3.1).
package enum TokenConfirmation: Sendable, Equatable {
    case jkt(String), x5tS256(String)
}

/// The claims of a Keyward access token (RFC 9068 §2.2). Dates travel as whole seconds: a minted
/// token carries `issuedAt` and `expiresAt` rounded down.
package struct AccessTokenClaims: Sendable, Equatable {
    package var issuer: String
    package var subject: String
    package var clientID: String
    package var audience: String
    package var scope: [String]
    package var issuedAt: Date
    package var expiresAt: Date
    package var jti: String
    package var confirmation: TokenConfirmation?

    package init(issuer: String, subject: String, clientID: String, audience: String, scope: [String], issuedAt: Date, expiresAt: Date,
                 jti: String, confirmation: TokenConfirmation? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.clientID = clientID
        self.audience = audience
        self.scope = scope
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.jti = jti
        self.confirmation = confirmation
    }
}
