import Foundation
import NIOCore
import NIOPosix
import Synchronization

// A minimal RESP2 client over SwiftNIO: no maintained Redis client for Swift is in the package mirror.

/// Sends commands (arrays of bulk strings) to one Redis server over a few pipelined connections,
/// each command to the next connection in turn, so one busy node does not queue every request
/// behind one socket. A connection that dropped is made again by the next command that picks it
/// (with `AUTH` and `SELECT` from the URL first); a command that gets no answer within the
/// command timeout fails and closes its connection. Never logs, and its errors never carry the
/// password.
package final class RESPClient: Sendable {
    package struct Configuration: Sendable {
        /// How long making a TCP connection (and its AUTH/SELECT) may take. Default 1 s.
        package var connectTimeout: Duration = .seconds(1)
        /// How long a reply may take. Default 500 ms: a rate-limit decision is on a request's path.
        package var commandTimeout: Duration = .milliseconds(500)
        /// Connections kept to the server. Default 4.
        package var connections = 4
        /// Replies larger than this fail the command and close the connection. Default 1 MiB.
        package var maxReplyBytes = 1 << 20
        package init() {}
    }

    package let url: RedisURL
    let configuration: Configuration
    private let slots: [Slot]
    private let next = Atomic<Int>(0)
    private let isClosed = Atomic<Bool>(false)

    package init(url: RedisURL, configuration: Configuration = .init(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.url = url
        self.configuration = configuration
        slots = (0..<max(configuration.connections, 1)).map { _ in Slot(eventLoop: group.next()) }
    }

    /// Sends one command and returns its reply; an error reply throws `RESPError.server`.
    package func send(_ command: [String]) async throws(RESPError) -> RESPValue {
        guard !isClosed.load(ordering: .relaxed) else { throw .closed }
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let slot = slots[(i % slots.count + slots.count) % slots.count]
        let timeout = TimeAmount(configuration.commandTimeout)
        do {
            let channel = try await slot.channel { self.connect(on: slot.eventLoop) }.get()
            return try await Self.send(command, on: channel, timeout: timeout).get()
        } catch let error as RESPError {
            throw error
        } catch {
            throw .connect("\(error)")
        }
    }

    /// Closes every connection; later commands throw `RESPError.closed`.
    package func close() async {
        isClosed.store(true, ordering: .relaxed)
        for slot in slots {
            if let channel = try? await slot.take()?.get() { try? await channel.close().get() }
        }
    }

    /// A new connection, with AUTH and SELECT done.
    private func connect(on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let maxReply = configuration.maxReplyBytes
        let timeout = TimeAmount(configuration.commandTimeout)
        let url = url
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RESPHandler(maxReplyBytes: maxReply))
                }
            }
            .connect(host: url.host, port: url.port)
            .flatMapErrorThrowing { error -> any Channel in throw RESPError.connect("\(url.host):\(url.port): \(error)") }
            .flatMap { channel in
                var handshake: [[String]] = []
                if let password = url.password { handshake.append(["AUTH"] + (url.username.map { [$0] } ?? []) + [password]) }
                if url.database != 0 { handshake.append(["SELECT", String(url.database)]) }
                var done = channel.eventLoop.makeSucceededVoidFuture()
                for command in handshake {
                    done = done.flatMap { Self.send(command, on: channel, timeout: timeout).map { _ in } }
                }
                return done.map { channel }.flatMapError { error in
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(Self.redacted(error, url.password))
                }
            }
    }

    private static func send(_ command: [String], on channel: any Channel, timeout: TimeAmount) -> EventLoopFuture<RESPValue> {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            reply.fail(RESPError.timeout)
            channel.close(promise: nil)
        }
        reply.futureResult.whenComplete { _ in timer.cancel() }
        // A write that never reached the handler (the channel closed meanwhile) has no reply coming.
        written.futureResult.whenFailure { _ in reply.fail(RESPError.connectionClosed) }
        channel.writeAndFlush(RESPRequest(bytes: RESPRequest.encode(command, allocator: channel.allocator), reply: reply), promise: written)
        return reply.futureResult.flatMapThrowing { value in
            if case .error(let message) = value { throw RESPError.server(message) }
            return value
        }
    }

    /// The error with any occurrence of the password replaced (a server may echo what it was sent).
    private static func redacted(_ error: any Error, _ password: String?) -> RESPError {
        let e = error as? RESPError ?? .connect("\(error)")
        guard let password, !password.isEmpty else { return e }
        switch e {
        case .server(let m): return .server(m.replacingOccurrences(of: password, with: "…"))
        case .connect(let m): return .connect(m.replacingOccurrences(of: password, with: "…"))
        case .protocolViolation(let m): return .protocolViolation(m.replacingOccurrences(of: password, with: "…"))
        default: return e
        }
    }
}

/// One connection of the client: made on first use, made again after it dropped.
private final class Slot: Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case ready(any Channel)
    }
    let eventLoop: any EventLoop
    private let state = Mutex<State>(.idle)

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// The open connection, the one being made, or a new one from `connect`.
    func channel(_ connect: () -> EventLoopFuture<any Channel>) -> EventLoopFuture<any Channel> {
        let (future, isNew): (EventLoopFuture<any Channel>, Bool) = state.withLock { state in
            switch state {
            case .ready(let channel) where channel.isActive: return (eventLoop.makeSucceededFuture(channel), false)
            case .connecting(let future): return (future, false)
            default:
                let future = connect()
                state = .connecting(future)
                return (future, true)
            }
        }
        // Outside the lock: a connection that failed at once completes its future right here.
        if isNew {
            future.whenComplete { result in
                self.state.withLock { state in
                    guard case .connecting(let f) = state, f === future else { return }
                    switch result {
                    case .success(let channel): state = .ready(channel)
                    case .failure: state = .idle
                    }
                }
            }
        }
        return future
    }

    /// The open connection or the one being made, leaving the slot idle.
    func take() -> EventLoopFuture<any Channel>? {
        state.withLock { state in
            defer { state = .idle }
            switch state {
            case .ready(let channel): return eventLoop.makeSucceededFuture(channel)
            case .connecting(let future): return future
            case .idle: return nil
            }
        }
    }
}
