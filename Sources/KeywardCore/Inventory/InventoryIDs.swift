/// An imported third-party credential (`crd_…`).
package struct CredentialID: TypedID {
    package static let prefix = "crd"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

/// A declared holder of credentials (`csm_…`).
package struct ConsumerID: TypedID {
    package static let prefix = "csm"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

/// An incident (`inc_…`).
package struct IncidentID: TypedID {
    package static let prefix = "inc"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

/// An outgoing webhook subscription (`whk_…`).
package struct WebhookID: TypedID {
    package static let prefix = "whk"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}

/// A leak report's item as recorded (`exp_…`): the first 128 bits of its dedupe digest, so the
/// same exposure delivered twice has the same id.
package struct ExposureID: TypedID {
    package static let prefix = "exp"
    package let raw: UInt128
    package init(raw: UInt128) { self.raw = raw }
}
