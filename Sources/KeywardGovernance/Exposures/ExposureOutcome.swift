import KeywardCore

/// What intake did with one reported exposure.
package struct ExposureOutcome: Sendable, Equatable {
    package var exposureID: ExposureID
    /// The same exposure was reported before: nothing was done again.
    package var duplicate: Bool
    /// nil: withheld. A reporter that showed no possession of the secret (a digest only) is not
    /// told whether the digest names a credential.
    package var classification: ExposureClassification?
    package var incidentID: IncidentID?
    /// nil when nothing was done.
    package var action: ContainmentAction?
    /// Whether an incident this exposure opened was announced (an `incident.opened` webhook
    /// queued); nil when no incident was opened.
    package var notified: Bool?
    package init(exposureID: ExposureID, duplicate: Bool, classification: ExposureClassification?, incidentID: IncidentID?, action: ContainmentAction?,
                 notified: Bool? = nil) {
        self.exposureID = exposureID
        self.duplicate = duplicate
        self.classification = classification
        self.incidentID = incidentID
        self.action = action
        self.notified = notified
    }
}
