import NIOCore

/// One command on its way out: its encoded bytes and the promise its reply completes.
struct RESPRequest: Sendable {
    var bytes: ByteBuffer
    var reply: EventLoopPromise<RESPValue>

    /// A command as a RESP array of bulk strings.
    static func encode(_ command: [String], allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 16 + command.reduce(0) { $0 + $1.utf8.count + 16 })
        out.writeString("*\(command.count)\r\n")
        for arg in command {
            out.writeString("$\(arg.utf8.count)\r\n")
            out.writeString(arg)
            out.writeString("\r\n")
        }
        return out
    }
}

/// Pipelining on one connection: replies come back in the order the commands were written, so
/// each reply completes the oldest waiting promise. Anything that breaks that order (bytes that
/// are not RESP2, a reply nobody asked for, a reply too large) fails every waiting command and
/// closes the connection; so does the connection closing.
final class RESPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var received: ByteBuffer?
    private let decoder: RESPDecoder
    private var failed: RESPError?

    init(maxReplyBytes: Int) {
        decoder = RESPDecoder(maxReplyBytes: maxReplyBytes)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failed {
            request.reply.fail(failed)
            promise?.fail(failed)
            return
        }
        waiting.append(request.reply)
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received!.writeBuffer(&bytes) }
        do {
            while received!.readableBytes > 0, let value = try decoder.next(&received!) {
                guard let promise = waiting.popFirst() else { throw RESPError.protocolViolation("a reply nobody asked for") }
                promise.succeed(value)
            }
            if received!.readableBytes == 0 { received = nil } else { received!.discardReadBytes() }
        } catch {
            fail(error as? RESPError ?? .protocolViolation("\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error as? RESPError ?? .connectionClosed)
        context.close(promise: nil)
    }

    private func fail(_ error: RESPError) {
        if failed == nil { failed = error }
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}
