import Foundation
import KeywardCore
import Synchronization

/// Does a short text hold a credential? The scanner's built-in rules, run over one field value
/// (a name, a scope, a label, a telemetry string) before it is stored, logged or echoed.
/// Used by the server's input validation: every free-text field refuses what any rule finds.
package final class CredentialShape: Sendable {
    private let scanner: SecretScanner?
    /// Hyperscan scratch is per thread: workers are lent out one caller at a time.
    private let pool = Mutex<[PooledWorker]>([])

    private static let instance = Mutex<CredentialShape?>(nil)
    /// Held by whoever builds the checker (about 20 s on a cold cache); never by a task on the
    /// cooperative pool (`prepare` builds on a thread of its own).
    private static let building = NSLock()

    /// The process's checker, built from the built-in rules on first use. `keyward serve` builds
    /// it at start with its rule cache (`prepare`), since a first compile takes about 20 s.
    package static var shared: CredentialShape {
        if let ready = instance.withLock({ $0 }) { return ready }
        return build(cacheDirectory: nil)
    }

    /// Builds the process's checker now, with the compiled-rule cache in `cacheDirectory`
    /// (shared with `keyward scan`), unless it exists already. The build and any wait for a
    /// build already under way happen on a thread of their own: a 20 s compile must not hold
    /// one of the cooperative threads (one per core) that every other task runs on.
    package static func prepare(cacheDirectory: String?) async {
        if instance.withLock({ $0 }) != nil { return }
        _ = await onOwnThread { build(cacheDirectory: cacheDirectory) }
    }

    private static func build(cacheDirectory: String?) -> CredentialShape {
        building.lock()
        defer { building.unlock() }
        if let ready = instance.withLock({ $0 }) { return ready }
        let made = CredentialShape(cacheDirectory: cacheDirectory)
        instance.withLock { $0 = made }
        return made
    }

    /// A Keyward key shape even without a valid checksum (a look-alike is still no metadata).
    private static let keywardMarkers = ["kw_live_", "kw_test_"]

    private init(cacheDirectory: String?) {
        // Without the rules (a broken bundle) only Keyward's own key shape is refused; the
        // scanner's own tests fail loudly in that case.
        scanner = try? SecretScanner(ruleSet: RuleSet.builtIn(), cacheDirectory: cacheDirectory)
    }

    /// The id of the first rule that finds a credential in `text`, or nil.
    package func rule(in text: String) -> String? {
        for m in Self.keywardMarkers where text.contains(m) { return "keyward.api-key" }
        guard let scanner, text.utf8.count >= 8 else { return nil }
        guard let worker = borrow(scanner) else { return nil }
        defer { pool.withLock { $0.append(worker) } }
        let bytes = Array(text.utf8)
        guard let hits = try? bytes.withUnsafeBytes({ try scanner.scan($0, worker: worker.worker) }), let first = hits.first else { return nil }
        return scanner.rules[first.rule].id
    }

    private func borrow(_ scanner: SecretScanner) -> PooledWorker? {
        if let w = pool.withLock({ $0.popLast() }) { return w }
        return (try? scanner.makeWorker()).map(PooledWorker.init)
    }
}

/// A scanner worker owned by exactly one caller at a time (the pool hands it out under its lock).
private final class PooledWorker: @unchecked Sendable {
    let worker: SecretScanner.Worker
    init(_ worker: SecretScanner.Worker) { self.worker = worker }
}
