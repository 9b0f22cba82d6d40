import HTTPTypes

/// The registered (method, path pattern) pairs, so an unknown method on a known path
/// answers 405 with `Allow` rather than 404.
package struct RouteTable: Sendable {
    private(set) var routes: [(method: HTTPRequest.Method, segments: [String])] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        routes.append((method, path.split(separator: "/").map(String.init)))
    }

    /// Methods registered for a concrete path (`{x}` segments match anything non-empty).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segs = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return routes.filter { r in
            r.segments.count == segs.count && zip(r.segments, segs).allSatisfy { $0.hasPrefix("{") || $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method)
    }
}
