/// How a declared consumer is recognised in verify telemetry: exact values of the attributes a
/// resource server reports with a verify (`source`). An entry matches an observed source when
/// every attribute it gives is equal (case-sensitive, no patterns: a consumer names its egress
/// address, its certificate subject or its user agent as they are sent); attributes it leaves
/// out match anything. An entry gives at least one attribute.
package struct ConsumerSource: Sendable, Hashable, Codable {
    package var ip: String?
    package var userAgent: String?
    package var clientCertSubject: String?
    package var clientCertThumbprint: String?

    package init(ip: String? = nil, userAgent: String? = nil, clientCertSubject: String? = nil, clientCertThumbprint: String? = nil) {
        self.ip = ip
        self.userAgent = userAgent
        self.clientCertSubject = clientCertSubject
        self.clientCertThumbprint = clientCertThumbprint
    }

    /// No attribute given: would match every source, so it is refused on input.
    package var isEmpty: Bool { ip == nil && userAgent == nil && clientCertSubject == nil && clientCertThumbprint == nil }

    /// Whether an observed source (its reported attributes) is this entry's.
    package func matches(ip: String?, userAgent: String?, clientCertSubject: String?, clientCertThumbprint: String?) -> Bool {
        guard !isEmpty else { return false }
        func fits(_ want: String?, _ got: String?) -> Bool { want == nil || want == got }
        return fits(self.ip, ip) && fits(self.userAgent, userAgent) && fits(self.clientCertSubject, clientCertSubject)
            && fits(self.clientCertThumbprint, clientCertThumbprint)
    }
}
