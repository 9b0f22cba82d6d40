import Logging
import Synchronization

/// A log handler that keeps every line (message and metadata) in memory, for leak checks.
package final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    package init() {}

    package var all: [String] { lines.withLock { $0 } }

    package func logger(label: String = "keyward.test", level: Logger.Level = .trace) -> Logger {
        var l = Logger(label: label) { [self] label in Handler(label: label, capture: self) }
        l.logLevel = level
        return l
    }

    fileprivate func append(_ s: String) { lines.withLock { $0.append(s) } }

    struct Handler: LogHandler {
        let label: String
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var all = metadata
            if let m = event.metadata { all.merge(m) { $1 } }
            let meta = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level) \(label): \(event.message) \(meta) \(event.source) \(event.file):\(event.line)")
        }
    }
}
