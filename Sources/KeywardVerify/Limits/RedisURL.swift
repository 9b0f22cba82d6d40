import Foundation
import KeywardCore

/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]`.
/// The port defaults to 6379 and the database to 0; a password with reserved characters is
/// percent-encoded. `description` never shows the password.
package struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    /// An ACL user (`AUTH user password`); nil: the default user (`AUTH password`).
    package var username: String?
    package var password: String?
    package var database: Int

    package init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a `redis://` URL; a validation error (which never quotes the URL: it may hold a password) otherwise.
    package init(parsing text: String) throws {
        let shape = "the Redis URL must look like redis://[:password@]host[:port][/db]"
        guard text.hasPrefix("redis://") else {
            if text.hasPrefix("rediss://") { throw KeywardError.validation("rediss:// (TLS) is not supported; use redis:// on a private network or a TLS tunnel") }
            throw KeywardError.validation(shape)
        }
        guard let c = URLComponents(string: text), let host = c.host, !host.isEmpty,
              c.query == nil, c.fragment == nil else { throw KeywardError.validation(shape) }
        let port = c.port ?? 6379
        guard (1...65_535).contains(port) else { throw KeywardError.validation("the Redis URL's port must be 1-65535") }
        var database = 0
        let path = c.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let db = Int(path), db >= 0 else { throw KeywardError.validation("the Redis URL's path must be a database number (e.g. /0)") }
            database = db
        }
        let user = c.percentEncodedUser.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        let password = c.percentEncodedPassword.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        if user != nil, password == nil { throw KeywardError.validation("the Redis URL names a user but no password (redis://user:password@host)") }
        // An IPv6 literal comes back in brackets; NIO wants it bare.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.init(host: bare, port: port, username: user, password: password, database: database)
    }

    package var description: String {
        let login = password == nil ? "" : "\(username ?? ""):…@"
        let h = host.contains(":") ? "[\(host)]" : host
        return "redis://\(login)\(h):\(port)/\(database)"
    }
}
