/// Who presented the key, as the resource server reports it (telemetry, limits, detection).
package struct VerifySource: Sendable, Hashable {
    package var ip: String?
    package var userAgent: String?
    package var clientCertSubject: String?
    package var clientCertThumbprint: String?
    /// The request the credential came with, as a gateway forwards it (`/v1/authz`): its method
    /// and path, for limits and detection. Usage telemetry does not key sources by them.
    package var method: String?
    package var path: String?

    package init(ip: String? = nil, userAgent: String? = nil, clientCertSubject: String? = nil, clientCertThumbprint: String? = nil,
                 method: String? = nil, path: String? = nil) {
        self.method = method
        self.path = path
        self.ip = ip
        self.userAgent = userAgent
        self.clientCertSubject = clientCertSubject
        self.clientCertThumbprint = clientCertThumbprint
    }

    var isEmpty: Bool { ip == nil && userAgent == nil && clientCertSubject == nil && clientCertThumbprint == nil }
}
