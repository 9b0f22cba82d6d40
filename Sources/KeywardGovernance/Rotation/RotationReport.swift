import Foundation
import KeywardCore
import KeywardStore

/// A key's latest rotation as `GET /v1/keys/{id}/rotation` shows it: the window, how it
/// closed (or when it would close early), and every consumer with its migration status.
package struct RotationReport: Sendable {
    package struct Entry: Sendable {
        package var consumer: RotationConsumer
        package var status: MigrationStatus
        /// Uses of the old version and of any newer one, as flushed.
        package var oldUses: Int64
        package var newUses: Int64
        /// An observed consumer's reported attributes (nil for a declared one).
        package var source: ConsumerSource?
    }

    package var rotation: KeyRotationRecord
    /// The old version's grace end as it stands now.
    package var graceUntil: Date
    /// Open rotations only: when the window closes early if the old version stays unused
    /// (nil: a declared consumer is pending or lagging, or it is closed).
    package var closesIfQuietAt: Date?
    package var consumers: [Entry]
    package var isOpen: Bool { rotation.closedAt == nil }
}
