import KeywardCore
import NIOCore

extension CPUSet {
    /// The size NIO's shared event-loop group should have, or nil when NIO's own choice stands
    /// (it already is the right size, or NIO_SINGLETON_GROUP_LOOP_COUNT, `nioLoopCount`, sizes it).
    package static func eventLoops(configured: Int?, nioLoopCount: String?) -> Int? {
        if let configured { return configured }
        if nioLoopCount != nil { return nil }
        guard let allowed = allowed()?.count, allowed < System.coreCount else { return nil }
        return allowed
    }
}
