import Logging

/// The one log line each answered request writes: method, route pattern, status, how it was answered,
/// request id (never the raw path, a header or a body). With `writer` — the serve command's, whose
/// logger is a `QueuedLogHandler` on that writer with no metadata of its own — the line is built
/// straight into the writer's queue in that handler's format; otherwise it goes through `logger`.
/// Why: swift-log builds a metadata dictionary per call, and the handler merges, sorts and
/// interpolates it; on the verify fast path that was 6% of the event loop's CPU (perf, bench verify).
package struct RequestLog: Sendable {
    package let logger: Logger
    let writer: LogWriter?
    /// The module that logs, as swift-log names it from `#fileID`.
    let source: String

    package init(logger: Logger, writer: LogWriter?, fileID: String = #fileID) {
        self.logger = logger
        self.writer = writer
        source = fileID.split(separator: "/", maxSplits: 1).first.map(String.init) ?? "n/a"
    }

    package var enabled: Bool { logger.logLevel <= .info }

    /// Writes the line at level info (nothing below it). `ms`: the time taken, already formatted;
    /// `path`: which path answered ("fast"), nil for the router.
    package func request(method: String, route: String, status: Int, requestID: String, ms: String? = nil, path: String? = nil) {
        guard enabled else { return }
        guard let writer else {
            var metadata: Logger.Metadata = ["method": "\(method)", "route": "\(route)", "status": "\(status)", "request_id": "\(requestID)"]
            if let ms { metadata["ms"] = "\(ms)" }
            if let path { metadata["path"] = "\(path)" }
            logger.info("request", metadata: metadata, source: source)
            return
        }
        // QueuedLogHandler's line, with the metadata keys in sorted order.
        var line = QueuedLogHandler.prefix(level: .info, label: logger.label)
        line.reserveCapacity(line.utf8.count + 128)
        line += " method="
        line += method
        if let ms {
            line += " ms="
            line += ms
        }
        if let path {
            line += " path="
            line += path
        }
        line += " request_id="
        line += requestID
        line += " route="
        line += route
        line += " status="
        line += String(status)
        line += " ["
        line += source
        line += "] request\n"
        writer.enqueue(line)
    }
}
