import HTTPTypes

/// The registered (method, path pattern) pairs, so an unknown method on a known path
/// answers 405 with `Allow` rather than 404.
package struct RouteTable: Sendable {
    private(set) var routes: [(method: HTTPRequest.Method, segments: [String])] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        routes.append((method, path.split(separator: "/").map(String.init)))
    }

    /// Methods registered for a concrete path. `{x}` segments match anything non-empty, but
    /// as in the router's trie a literal segment wins over a parameter (`/v1/keys/verify` is
    /// not `/v1/keys/{id}`).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segs = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
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
