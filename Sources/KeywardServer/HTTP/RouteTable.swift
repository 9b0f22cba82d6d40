import HTTPTypes
import Synchronization

/// The registered (method, path pattern) pairs, so an unknown method on a known path
/// answers 405 with `Allow` rather than 404. Filled while routes are registered, read by the
/// problem middleware (which must be added to the router before the routes).
package final class RouteTable: Sendable {
    private let entries = Mutex<[(method: HTTPRequest.Method, segments: [String])]>([])

    func add(_ method: HTTPRequest.Method, _ path: String) {
        entries.withLock { $0.append((method, path.split(separator: "/").map(String.init))) }
    }

    /// Methods registered for a concrete path. `{x}` segments match anything non-empty, but
    /// as in the router's trie a literal segment wins over a parameter (`/v1/keys/verify` is
    /// not `/v1/keys/{id}`).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segs = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let routes = entries.withLock { $0 }
        let matching = routes.filter { r in
            r.segments.count == segs.count && zip(r.segments, segs).allSatisfy { $0.hasPrefix("{") || $0.hasPrefix(":") || $0 == $1 }
        }
        func literalMask(_ segments: [String]) -> [Bool] { segments.map { !($0.hasPrefix("{") || $0.hasPrefix(":")) } }
        // Most specific first: compare literal-ness segment by segment, left to right.
        guard let best = matching.map({ literalMask($0.segments) }).max(by: { a, b in
            for (x, y) in zip(a, b) where x != y { return !x && y }
            return false
        }) else { return [] }
        return matching.filter { literalMask($0.segments) == best }.map(\.method)
    }
}
