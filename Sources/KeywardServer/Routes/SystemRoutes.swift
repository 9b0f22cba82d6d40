import Foundation
import Hummingbird
import KeywardCore
import KeywardVerify
import NIOCore
import Prometheus

/// `/healthz` (constant body, no I/O), `/metrics` (Prometheus text), `/openapi.yaml`.
struct SystemRoutes {
    let registry: PrometheusCollectorRegistry
    let index: KeyIndex
    let openAPI: ByteBuffer

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let health = ByteBuffer(string: "{\"status\":\"ok\"}")
        table.add(.get, "/healthz")
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: health))
        }
        let registry = registry, index = index, openAPI = openAPI
        let active = registry.makeGauge(name: "keyward_keys", labels: [("status", "active")])
        let revoked = registry.makeGauge(name: "keyward_keys", labels: [("status", "revoked")])
        let versions = registry.makeGauge(name: "keyward_key_versions")
        table.add(.get, "/metrics")
        router.get("/metrics") { _, _ in
            let c = index.counts()
            active.set(Double(c.keys - c.revoked))
            revoked.set(Double(c.revoked))
            versions.set(Double(c.versions))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        table.add(.get, "/openapi.yaml")
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: openAPI))
        }
    }
}
