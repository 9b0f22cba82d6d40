import NIOCore

/// One RESP2 reply (https://redis.io/docs/latest/develop/reference/protocol-spec/): a simple
/// string, an error, an integer, a bulk string (nil: the null bulk) or an array (nil: the null
/// array), arrays nested to any depth the decoder allows.
package enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk(ByteBuffer?)
    case array([RESPValue]?)

    /// The text of a simple or bulk string.
    package var string: String? {
        switch self {
        case .simple(let s): s
        case .bulk(let b?): String(buffer: b)
        default: nil
        }
    }
}

/// Decodes RESP2 replies from the bytes a connection has received so far. Refuses (throws)
/// anything that is not RESP2, a reply larger than `maxReplyBytes` (checked on each bulk length
/// and on what is buffered before a reply completes) and arrays nested deeper than `maxDepth`.
struct RESPDecoder {
    let maxReplyBytes: Int
    var maxDepth = 16

    /// The next complete reply, consumed from `buffer`; nil (buffer untouched) when more bytes are needed.
    func next(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var copy = buffer
        guard let value = try parse(&copy, depth: 0) else {
            if buffer.readableBytes > maxReplyBytes + 64 { throw .replyTooLarge(limit: maxReplyBytes) }
            return nil
        }
        if buffer.readableBytes - copy.readableBytes > maxReplyBytes + 64 { throw .replyTooLarge(limit: maxReplyBytes) }
        buffer = copy
        return value
    }

    private func parse(_ buf: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard let type = buf.getInteger(at: buf.readerIndex, as: UInt8.self) else { return nil }
        var body = buf
        body.moveReaderIndex(forwardBy: 1)
        guard let line = try Self.line(&body) else { return nil }
        let value: RESPValue
        switch type {
        case UInt8(ascii: "+"): value = .simple(line)
        case UInt8(ascii: "-"): value = .error(line)
        case UInt8(ascii: ":"): value = .integer(try Self.integer(line))
        case UInt8(ascii: "$"):
            let n = try Self.integer(line)
            if n == -1 { value = .bulk(nil); break }
            guard n >= 0 else { throw .protocolViolation("bulk length \(n)") }
            guard n <= maxReplyBytes else { throw .replyTooLarge(limit: maxReplyBytes) }
            guard body.readableBytes >= Int(n) + 2 else { return nil }
            let bytes = body.readSlice(length: Int(n))!
            guard body.readBytes(length: 2) == [13, 10] else { throw .protocolViolation("bulk string not ended by CRLF") }
            value = .bulk(bytes)
        case UInt8(ascii: "*"):
            let n = try Self.integer(line)
            if n == -1 { value = .array(nil); break }
            guard n >= 0 else { throw .protocolViolation("array length \(n)") }
            // Each element takes at least three bytes: a longer array cannot fit the bound.
            guard n <= maxReplyBytes / 3 else { throw .replyTooLarge(limit: maxReplyBytes) }
            guard depth < maxDepth else { throw .protocolViolation("arrays nested deeper than \(maxDepth)") }
            var items: [RESPValue] = []
            for _ in 0..<n {
                guard let item = try parse(&body, depth: depth + 1) else { return nil }
                items.append(item)
            }
            value = .array(items)
        default:
            throw .protocolViolation("unexpected type byte 0x\(String(type, radix: 16))")
        }
        buf = body
        return value
    }

    /// The text up to the next CRLF (consumed with it); nil when no CRLF has arrived yet.
    private static func line(_ buf: inout ByteBuffer) throws(RESPError) -> String? {
        let view = buf.readableBytesView
        guard let cr = view.firstIndex(of: 13) else { return nil }
        guard cr + 1 < view.endIndex else { return nil }
        guard view[cr + 1] == 10 else { throw .protocolViolation("CR not followed by LF") }
        let text = buf.readString(length: cr - view.startIndex) ?? ""
        buf.moveReaderIndex(forwardBy: 2)
        return text
    }

    private static func integer(_ text: String) throws(RESPError) -> Int64 {
        guard let n = Int64(text) else { throw .protocolViolation("not an integer") }
        return n
    }
}

/// Why a RESP command got no answer. Never carries a password or a command's arguments.
package enum RESPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection could not be made (refused, unreachable, connect timeout).
    case connect(String)
    /// No reply within the command timeout (the connection is then closed: later replies would be out of order).
    case timeout
    /// The connection closed before the reply came.
    case connectionClosed
    /// The server sent bytes that are not RESP2.
    case protocolViolation(String)
    case replyTooLarge(limit: Int)
    /// An error reply (`-ERR …`, `-WRONGPASS …`, `-NOSCRIPT …`), as the server wrote it.
    case server(String)
    /// The client was closed.
    case closed

    package var description: String {
        switch self {
        case .connect(let why): "cannot connect: \(why)"
        case .timeout: "no reply within the command timeout"
        case .connectionClosed: "the connection closed before the reply"
        case .protocolViolation(let what): "the server's reply is not RESP2 (\(what))"
        case .replyTooLarge(let limit): "a reply exceeds \(limit) bytes"
        case .server(let message): "error reply: \(message.prefix(200))"
        case .closed: "the client is closed"
        }
    }
}
