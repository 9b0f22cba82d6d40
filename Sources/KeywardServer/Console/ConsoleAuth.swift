import Crypto
import Foundation
import Hummingbird
import KeywardCore
import KeywardGovernance

/// Console sign-in state (issue 17). The session cookie holds 32 random bytes; the store keeps
/// only their SHA-256, so a copy of the database opens no session. Each form carries a CSRF
/// token derived from the cookie by HMAC: a page can show it, but no other origin can compute
/// it without the HttpOnly cookie. The sign-in form, before any session, uses a double-submit
/// token of its own.
struct ConsoleAuth: Sendable {
    let governance: Governance
    let authenticator: Authenticator
    /// Served over TLS: cookies are `Secure` and use the `__Host-` prefix.
    let secure: Bool
    let policy: ConsoleSessionPolicy

    var sessionCookie: String { secure ? "__Host-keyward_session" : "keyward_session" }
    var signInCookie: String { secure ? "__Host-keyward_signin" : "keyward_signin" }

    /// 32 bytes from the system CSPRNG, as hex (cookie-safe).
    static func newToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Hex.encode(Array($0)) }
    }

    static func hash(_ token: String) -> String { Hex.encode(Array(SHA256.hash(data: Data(token.utf8)))) }

    /// The CSRF token of the session (or sign-in) cookie `token`.
    static func csrf(for token: String) -> String {
        Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: csrfLabel, using: SymmetricKey(data: Data(token.utf8)))))
    }

    private static let csrfLabel = Data("keyward-console-csrf".utf8)

    /// Whether a submitted CSRF token is the one `token` derives, compared in constant time.
    static func csrfMatches(_ submitted: String?, token: String) -> Bool {
        guard let submitted, submitted.utf8.count == 64, let bytes = Hex.decode(submitted) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: csrfLabel, using: SymmetricKey(data: Data(token.utf8)))
    }

    /// The cookie's token when it has the shape of one (64 hex digits).
    func token(_ request: Request, cookie name: String) -> String? {
        guard let v = request.cookies[name]?.value, v.utf8.count == 64, v.utf8.allSatisfy({ Hex.nibble($0) != nil }) else { return nil }
        return v
    }

    /// The live session of this request with its CSRF token, or nil (no cookie, unknown, revoked or expired).
    func session(_ request: Request) async throws -> (ConsoleSession, token: String)? {
        guard let token = token(request, cookie: sessionCookie),
              let s = try await governance.consoleSession(idHash: Self.hash(token), policy: policy) else { return nil }
        return (s, token)
    }

    /// A browser's POST names its origin: when it does, it must be this server's (the `Host` it was sent to).
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard origin != "null", let url = URL(string: origin), let host = url.host else { return false }
        let port = url.port.map { ":\($0)" } ?? ""
        let authority = host.contains(":") ? "[\(host)]\(port)" : "\(host)\(port)"
        return request.head.authority == authority
    }

    func cookie(_ name: String, value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
