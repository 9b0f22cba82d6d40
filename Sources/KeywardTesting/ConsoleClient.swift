import Foundation
import Synchronization

/// A browser-like client of the console for tests: one connection per request, a cookie jar
/// fed from `Set-Cookie`, form posts, and the page's CSRF token. Every body it reads goes into
/// the server's transcript (pages that show a new key are marked issuing), so `leakReport()`
/// covers the console too.
package struct ConsoleClient {
    package let server: TestServer
    package var cookies: [String: String] = [:]
    /// The `Set-Cookie` lines of the last response, as sent.
    package var setCookies: [String] = []
    /// The `Origin` a browser would send with a form (nil: none, as curl sends).
    package var origin: String?

    package init(_ server: TestServer) {
        self.server = server
        origin = server.baseURL
    }

    package mutating func get(_ path: String) async throws -> RawHTTPConnection.Response {
        try await send("GET", path, form: nil)
    }

    package mutating func post(_ path: String, _ fields: [(String, String)], issuing: Bool = false) async throws -> RawHTTPConnection.Response {
        try await send("POST", path, form: fields, issuing: issuing)
    }

    package mutating func send(_ method: String, _ path: String, form: [(String, String)]?, issuing: Bool = false,
                               headers extra: [String] = []) async throws -> RawHTTPConnection.Response {
        var headers = extra
        if !cookies.isEmpty { headers.append("Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        var body: String?
        if let form {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
            headers += ["Content-Type: application/x-www-form-urlencoded", "Content-Length: \(body!.utf8.count)"]
            if let origin { headers.append("Origin: \(origin)") }
        }
        let host = server.baseURL.replacingOccurrences(of: "http://", with: "")
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(host)", "Connection: close"] + headers
        lines.append("")
        let conn = try RawHTTPConnection(baseURL: server.baseURL)
        try conn.send(lines.joined(separator: "\r\n") + "\r\n" + (body ?? ""))
        let r = try await conn.read()
        server.transcript.withLock { $0.append((issuing, r.body)) }
        setCookies = r.raw.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix("set-cookie:") }
            .map { String($0.dropFirst("set-cookie:".count)).trimmingCharacters(in: .whitespaces) }
        for c in setCookies {
            let pair = c.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if c.contains("Max-Age=0") { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
        }
        return r
    }

    /// The first CSRF token in a page's forms.
    package static func csrf(in page: String) -> String? {
        guard let r = page.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression) else { return nil }
        return String(page[r].dropFirst(#"name="csrf" value=""#.count).prefix(64))
    }

    /// Signs in with `key` through the sign-in form; returns the POST's response.
    @discardableResult
    package mutating func signIn(_ key: String) async throws -> RawHTTPConnection.Response {
        let form = try await get("/console/sign-in")
        return try await post("/console/sign-in", [("csrf", Self.csrf(in: form.body) ?? ""), ("key", key)])
    }
}
