/// Who presented the key, as the resource server reports it (telemetry, limits, detection).
package struct VerifySource: Sendable, Hashable {
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

    var isEmpty: Bool { ip == nil && userAgent == nil && clientCertSubject == nil && clientCertThumbprint == nil }
}
