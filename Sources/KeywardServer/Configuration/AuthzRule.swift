import Foundation
import KeywardCore

/// One `--authz-route "METHOD PATH=scope[,scope]"`: the scopes a credential needs for the
/// requests it matches (all of them). METHOD is a method (compared in upper case) or `*`; PATH is
/// exact (`/v1/orders`) or a prefix when it ends in `*` (`/v1/orders/*` matches everything below
/// `/v1/orders/`; `/v1/orders*` also `/v1/orders` and `/v1/ordersXYZ`). An empty scope list
/// (`GET /status=`) asks only for a valid credential, which stops later rules from matching.
package struct AuthzRule: Sendable, Equatable, CustomStringConvertible {
    /// Nil: any method.
    package let method: String?
    package let path: String
    package let isPrefix: Bool
    package let scopes: [Scope]

    /// Parses a rule; throws a validation error naming what is wrong.
    package init(parsing text: String) throws {
        let spec = text.trimmingCharacters(in: .whitespaces)
        func fail(_ why: String) -> KeywardError {
            KeywardError(.validation, "--authz-route \"\(spec.prefix(200))\": \(why); the form is \"METHOD PATH=scope[,scope]\", e.g. \"POST /v1/orders*=orders:write\"")
        }
        guard let eq = spec.lastIndex(of: "=") else { throw fail("no = before the scopes") }
        let target = spec[..<eq].split(separator: " ", omittingEmptySubsequences: true)
        guard target.count == 2 else { throw fail("METHOD and PATH are two words before the =") }
        let method = target[0].uppercased()
        guard method == "*" || (method.utf8.count <= 32 && method.utf8.allSatisfy(Self.isTokenByte)) else { throw fail("the method is a method name or *") }
        var path = String(target[1])
        guard path.hasPrefix("/"), path.utf8.count <= 2_048, !path.contains("?"), !path.contains(";"), !path.contains("%"),
              path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else {
            throw fail("the path starts with / and holds no query, ;, % escape, space or control character")
        }
        let prefix = path.hasSuffix("*")
        if prefix { path.removeLast() }
        guard !path.contains("*") else { throw fail("* may only end the path") }
        guard ForwardedRequest.normalizedPath(path) == path else {
            throw fail("the path has . or .. segments or a double /, which no request path matches once resolved")
        }
        var scopes: [Scope] = []
        for s in spec[spec.index(after: eq)...].split(separator: ",") {
            let name = s.trimmingCharacters(in: .whitespaces)
            guard let scope = Scope(name) else { throw fail("\"\(name.prefix(64))\" is not a scope") }
            scopes.append(scope)
        }
        self.method = method == "*" ? nil : method
        self.path = path
        self.isPrefix = prefix
        self.scopes = scopes
    }

    /// `method` upper case; `path` normalized (`ForwardedRequest.normalizedPath`).
    func matches(method: String, path: String) -> Bool {
        if let m = self.method, m != method { return false }
        return isPrefix ? path.hasPrefix(self.path) : path == self.path
    }

    package var description: String {
        "\(method ?? "*") \(path)\(isPrefix ? "*" : "")=\(scopes.map(\.value).joined(separator: ","))"
    }

    /// RFC 9110 §5.6.2 token characters (method and header names).
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
