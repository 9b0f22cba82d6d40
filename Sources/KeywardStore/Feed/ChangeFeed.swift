import KeywardCore
import Synchronization

/// What a committed write changed.
package enum StoreChange: Sendable {
    case key(APIKey)
    case identity(Identity)
    /// An OAuth client was registered or changed (revoked: every token it holds dies with it).
    case client(OAuthClient)
    /// An access token was revoked before it expired.
    case token(AccessTokenRecord)
    /// The token-signing keys changed (rotation): readers reload them.
    case signingKeys
    /// A webhook delivery was queued (wakes the dispatcher; not sent between nodes).
    case webhookQueued
}

/// In-process change feed: subscribers are called synchronously after commit, before the
/// write returns, so the very next request on this node sees the change.
/// Between nodes on PostgreSQL, `ClusterListener` publishes other nodes' commits here too.
package final class ChangeFeed: Sendable {
    private let subscribers = Mutex<[@Sendable (StoreChange) -> Void]>([])
    /// How complete this feed is: always fresh in-process; moved by `ClusterListener`'s
    /// heartbeat between nodes.
    package let freshness = FeedFreshness()

    package init() {}

    package func subscribe(_ handler: @escaping @Sendable (StoreChange) -> Void) {
        subscribers.withLock { $0.append(handler) }
    }

    func publish(_ changes: [StoreChange]) {
        guard !changes.isEmpty else { return }
        let subs = subscribers.withLock { $0 }
        for c in changes { for s in subs { s(c) } }
    }
}
