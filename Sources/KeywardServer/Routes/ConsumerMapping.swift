import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance

// Consumers: wire ↔ domain.

extension ConsumerResponse {
    init(_ c: Consumer) {
        self.init(id: c.id.description, name: c.name, kind: c.kind.rawValue, environment: c.environment, contact: c.contact, holds: c.holds.map(\.description), createdAt: c.createdAt,
                  sources: c.sources.map(ConsumerSourceBody.init))
    }
}

extension NewConsumer {
    init(_ body: ConsumerCreateRequest) {
        self.init(name: body.name, kind: body.kind, environment: body.environment, contact: body.contact, holds: body.holds, sources: body.sources?.map(ConsumerSource.init))
    }
}
