import Foundation
import KeywardCore
import Logging
import Testing

/// The serve command's log writer, through a real pipe: lines come out whole and in order, a
/// writer stuck on a full pipe drops (and counts) what does not fit instead of blocking callers,
/// and flush returns only once everything queued has been written.
@Suite("Log lines are written off the request path, bounded")
struct LogWriterTests {
    /// Reads the pipe on its own thread until a line equal to `end` arrives.
    final class Reader: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var text = ""
        init(_ handle: FileHandle, end: String) {
            Thread { [self] in
                var data = Data()
                while !String(decoding: data, as: UTF8.self).contains("\n" + end + "\n") {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                text = String(decoding: data, as: UTF8.self)
                done.signal()
            }.start()
        }
        func wait() -> String {
            done.wait()
            return text
        }
    }

    @Test("lines come out whole and in order; flush waits for them")
    func order() {
        let pipe = Pipe()
        let writer = LogWriter(fd: pipe.fileHandleForWriting.fileDescriptor, capacity: 1_000)
        let reader = Reader(pipe.fileHandleForReading, end: "END")
        writer.enqueue("start\n")
        for i in 0..<500 { writer.enqueue("line \(i)\n") }
        writer.enqueue("END\n")
        writer.flush()
        let lines = reader.wait().split(separator: "\n").map(String.init)
        #expect(lines == ["start"] + (0..<500).map { "line \($0)" } + ["END"])
        #expect(writer.droppedTotal == 0)
    }

    @Test("a writer blocked on a full pipe drops and counts lines beyond its queue, callers never wait, and the loss is reported in the log")
    func bounded() {
        let pipe = Pipe()
        let writer = LogWriter(fd: pipe.fileHandleForWriting.fileDescriptor, capacity: 10)
        // More than a pipe holds (64 KiB on Linux): the writer blocks in write(2) until the reader starts.
        writer.enqueue(String(repeating: "x", count: 200_000) + "\n")
        for i in 0..<25 { writer.enqueue("small \(i)\n") }
        let dropped = writer.droppedTotal
        #expect(dropped >= 15 && dropped <= 16, "10 queue slots, one perhaps still held by the big line")
        let reader = Reader(pipe.fileHandleForReading, end: "END")
        writer.flush()
        writer.enqueue("END\n")
        writer.flush()
        let text = reader.wait()
        #expect(text.contains("keyward: \(dropped) log lines dropped: the log writer fell behind\n"))
        #expect(text.contains("small 0\n"), "the lines that fit are written")
        #expect(!text.contains("small 24\n"), "the last ones were dropped")
    }

    /// The lines `body` writes through a `QueuedLogHandler` logger labelled `keyward` on a real pipe.
    func written(_ body: (Logger, LogWriter) -> Void) -> [String] {
        let pipe = Pipe()
        let writer = LogWriter(fd: pipe.fileHandleForWriting.fileDescriptor)
        let reader = Reader(pipe.fileHandleForReading, end: "END")
        body(Logger(label: "keyward") { QueuedLogHandler(label: $0, writer: writer) }, writer)
        writer.enqueue("\nEND\n")
        writer.flush()
        return reader.wait().split(separator: "\n").dropLast().map(String.init)
    }

    @Test("the handler writes swift-log's stream format: time, level, label, sorted metadata, source, message")
    func format() throws {
        let first = try #require(written { logger, _ in
            var logger = logger
            logger[metadataKey: "node"] = "n1"
            logger.info("request", metadata: ["status": "200", "method": "POST"], source: "KeywardServer")
            logger.debug("below the level")
        }.first)
        let pattern = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info keyward: method=POST node=n1 status=200 \[KeywardServer\] request$"#
        #expect(first.range(of: pattern, options: .regularExpression) != nil, "\(first)")
    }

    @Test("a request line built straight into the writer is the line swift-log's handler writes for the same request")
    func requestLine() throws {
        let all = written { logger, writer in
            let direct = RequestLog(logger: logger, writer: writer), throughLogger = RequestLog(logger: logger, writer: nil)
            for log in [direct, throughLogger] {
                log.request(method: "POST", route: "/v1/keys/verify", status: 200, requestID: "a1", path: "fast")
                log.request(method: "GET", route: "/healthz", status: 404, requestID: "b2", ms: "0.25")
            }
            var quiet = logger
            quiet.logLevel = .notice
            RequestLog(logger: quiet, writer: writer).request(method: "GET", route: "/", status: 200, requestID: "c3")
        }
        // Without the time, which may have turned a second between the lines.
        let lines = all.map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "" }
        #expect(lines.count == 4, "nothing below info: \(lines)")
        #expect(lines.first == "info keyward: method=POST path=fast request_id=a1 route=/v1/keys/verify status=200 [KeywardCoreTests] request")
        #expect(lines[1] == "info keyward: method=GET ms=0.25 request_id=b2 route=/healthz status=404 [KeywardCoreTests] request")
        #expect(Array(lines.prefix(2)) == Array(lines.suffix(2)), "the direct line and swift-log's are the same")
    }
}
