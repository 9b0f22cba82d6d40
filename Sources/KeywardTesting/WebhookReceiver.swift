import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on 127.0.0.1:<free port> that records every webhook it receives, and can
/// answer 500 to the first `failFirst` requests (to exercise retries).
package final class WebhookReceiver: Sendable {
    /// Header names are lower-cased.
    package struct Received: Sendable {
        package var headers: [String: String]
        package var body: String
        package var at: ContinuousClock.Instant
    }

    final class Recorder: Sendable {
        let received = Mutex<[Received]>([])
    }

    package let url: String
    private let recorder: Recorder

    private init(url: String, recorder: Recorder) {
        self.url = url
        self.recorder = recorder
    }

    package var all: [Received] { recorder.received.withLock { $0 } }

    /// Runs a receiver for the duration of `body`.
    package static func with<R: Sendable>(failFirst: Int = 0, _ body: (WebhookReceiver) async throws -> R) async throws -> R {
        let store = Recorder()
        let failures = Atomic<Int>(failFirst)
        let router = Router()
        router.post("/hook") { req, _ -> Response in
            var request = req
            let buf = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for f in req.headers { headers[f.name.canonicalName] = f.value }
            store.received.withLock { $0.append(Received(headers: headers, body: String(buffer: buf), at: .now)) }
            if failures.wrappingSubtract(1, ordering: .relaxed).oldValue > 0 { return Response(status: .internalServerError) }
            return Response(status: .noContent)
        }
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { cont.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var it = ports.makeAsyncIterator()
            guard let port = await it.next() else { throw POSIXError(.EADDRNOTAVAIL) }
            let receiver = WebhookReceiver(url: "http://127.0.0.1:\(port)/hook", recorder: store)
            do {
                let r = try await body(receiver)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return r
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
