import KeywardAPI
import KeywardCore
import KeywardGovernance

// Exposures: domain → wire (the report's DTOs are checked into `IncomingExposure` by `ExposureRoutes.validate`).

extension ExposureResult {
    init(_ o: ExposureOutcome) {
        self.init(exposureId: o.exposureID.description, duplicate: o.duplicate, classification: o.classification?.rawValue ?? ExposureResult.withheld,
                  incidentId: o.incidentID?.description, action: o.action?.rawValue, notified: o.notified)
    }
}
