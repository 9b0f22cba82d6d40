import Foundation
import HTTPTypes
import Hummingbird
import KeywardCore
import Mustache
import NIOCore

/// Renders console pages (templates `console-*.mustache` in the bundle; every `{{value}}` is
/// HTML-escaped by Mustache, and no template uses the unescaped `{{{…}}}` form) and serves them
/// with headers that let nothing load from elsewhere, run, or frame them.
enum ConsoleView {
    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        if let dir = Bundle.module.url(forResource: "templates", withExtension: nil),
           let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) {
            for name in names where name.hasPrefix("console-") && name.hasSuffix(".mustache") {
                let url = dir.appendingPathComponent(name)
                if let text = try? String(contentsOf: url, encoding: .utf8), let t = try? MustacheTemplate(string: text) {
                    templates[String(name.dropLast(".mustache".count))] = t
                }
            }
        }
        return MustacheLibrary(templates: templates)
    }()

    static let stylesheet: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "console", withExtension: "css", subdirectory: "templates"),
              let data = try? Data(contentsOf: url) else { return ByteBuffer() }
        return ByteBuffer(bytes: data)
    }()

    /// No script at all, styles only from this origin, forms only to this origin, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func securityHeaders(into h: inout HTTPFields) {
        h[.contentSecurityPolicy] = contentSecurityPolicy
        h[HTTPField.Name("X-Frame-Options")!] = "DENY"
        h[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        // same-origin, not no-referrer: a browser then still names its origin on a form POST (checked by ConsoleAuth.sameOrigin).
        h[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        h[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        h[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        h[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=(), clipboard-read=()"
    }

    /// A rendered page: never cached (pages show inventory, and one shows a new key once).
    static func page(_ name: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(context, withTemplate: name) ?? "<!doctype html><title>Keyward</title><p>The console template \(name) is missing from the bundle."
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        securityHeaders(into: &headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        securityHeaders(into: &headers)
        return Response(status: .seeOther, headers: headers)
    }

    static func css() -> Response {
        var headers: HTTPFields = [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"]
        securityHeaders(into: &headers)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: stylesheet))
    }

    // MARK: formatting

    static func time(_ d: Date?) -> String {
        guard let d else { return "—" }
        let f = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)
        return d.formatted(f).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "") + " UTC"
    }

    static func day(_ d: Date?) -> String { d.map { String(time($0).prefix(10)) } ?? "—" }

    static func duration(ms: Int64?) -> String {
        guard let ms else { return "—" }
        if ms < 1_000 { return "\(ms) ms" }
        if ms < 120_000 { return String(format: "%.1f s", Double(ms) / 1_000) }
        if ms < 7_200_000 { return "\(ms / 60_000) min" }
        return "\(ms / 3_600_000) h"
    }

    static func statusClass(_ status: String) -> String {
        switch status {
        case "active", "resolved", "contained", "released": "status-ok"
        case "revoked", "decommissioned", "open", "quarantined", "exposed": "status-bad"
        default: "status-warn"
        }
    }
}
