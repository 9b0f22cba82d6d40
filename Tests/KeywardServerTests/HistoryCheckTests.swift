import Foundation
import KeywardCore
import KeywardServer
import KeywardStore
import KeywardTesting
import Synchronization
import Testing

/// case 70 of docs/security-cases.md, the history part: concurrent clients rotate, revoke and verify a few keys
/// over HTTP; every call's invocation and completion times and its answer are recorded; then the
/// history is checked against the audit chain, in the manner of Jepsen's Elle (Kingsbury and
/// Alvaro, 2020): the audit order must be a legal sequential history of each key, consistent
/// with real time, and every verify answer must be explained by the writes that could have
/// preceded it. Checked on SQLite and on PostgreSQL.
@Suite("History check of concurrent key operations")
struct HistoryCheckTests {
    enum Kind: String, Sendable { case rotate, revoke, verify }

    struct Op: Sendable {
        var kind: Kind
        var key: String
        var invoke: ContinuousClock.Instant
        var complete: ContinuousClock.Instant
        var status: Int
        /// rotate: the version it created; verify: the version presented.
        var version: Int?
        /// revoke: the (unique) reason sent; verify: the answer's reason, nil when valid.
        var reason: String?
        var valid: Bool?
    }

    /// Every version's plaintext a client has seen, for verifies to present.
    final class Plaintexts: Sendable {
        let book = Mutex<[String: [Int: String]]>([:])
    }

    static let clients = 8
    static let opsPerClient = 30
    static let keyCount = 5

    @Test("the audit order is a legal, real-time-consistent history and every verify answer is explained", arguments: Backend.allCases)
    func history(_ backend: Backend) async throws {
        try await TestServer.with(database: try backend.databaseURL()) { s in
            let idn = try await s.createIdentity()
            var ids: [String] = []
            let plaintexts = Plaintexts()
            for _ in 0..<Self.keyCount {
                let (id, key) = try await s.issueKey(identity: idn)
                ids.append(id)
                plaintexts.book.withLock { $0[id] = [1: key] }
            }
            let keyIDs = ids
            let clock = ContinuousClock()
            let random = SeededRandom()
            let ops = try await withThrowingTaskGroup(of: [Op].self) { group in
                for c in 0..<Self.clients {
                    group.addTask {
                        var rng = random.fork(c)
                        var mine: [Op] = []
                        for n in 0..<Self.opsPerClient {
                            let key = keyIDs.randomElement(using: &rng)!
                            let roll = Int.random(in: 0..<100, using: &rng)
                            let kind: Kind = roll < 50 ? .verify : (roll < 94 ? .rotate : .revoke)
                            let invoke = clock.now
                            switch kind {
                            case .rotate:
                                let r = try await s.request("POST", "/v1/keys/\(key)/rotate", body: #"{"grace_seconds":0}"#, issuing: true)
                                let done = clock.now
                                var version: Int?
                                if r.status == 200, let k = r.json()["key"] as? String, let v = r.json()["version"] as? Int {
                                    s.ledger.record(k)
                                    plaintexts.book.withLock { $0[key, default: [:]][v] = k }
                                    version = v
                                }
                                mine.append(Op(kind: .rotate, key: key, invoke: invoke, complete: done, status: r.status, version: version))
                            case .revoke:
                                let reason = "history-\(c)-\(n)"
                                let r = try await s.request("POST", "/v1/keys/\(key)/revoke", body: #"{"reason":"\#(reason)"}"#)
                                mine.append(Op(kind: .revoke, key: key, invoke: invoke, complete: clock.now, status: r.status, reason: reason))
                            case .verify:
                                let (v, plaintext) = plaintexts.book.withLock { $0[key]!.randomElement(using: &rng)! }
                                let answer = try await s.verify(plaintext)
                                mine.append(Op(kind: .verify, key: key, invoke: invoke, complete: clock.now, status: 200, version: v,
                                               reason: answer["reason"] as? String, valid: answer["valid"] as? Bool))
                                if answer["valid"] as? Bool == true { #expect(answer["version"] as? Int == v) }
                            }
                        }
                        return mine
                    }
                }
                var all: [Op] = []
                for try await part in group { all += part }
                return all
            }
            let audit = try await s.auditRecords()
            let anomalies = Self.check(ops, audit: audit, keys: Set(keyIDs))
            #expect(anomalies.isEmpty, "\(anomalies.prefix(10))")
            // The history must have exercised the interesting cases, or it checked nothing.
            #expect(ops.contains { $0.kind == .rotate && $0.status == 200 })
            #expect(ops.contains { $0.kind == .revoke && $0.status == 200 })
            #expect(ops.contains { $0.kind == .verify && $0.reason == "rotated" })
            #expect(ops.contains { $0.kind == .verify && $0.valid == true })
            guard try await s.auditChainIsValid() else { Issue.record("audit chain broken"); return }
            #expect(try await s.leakReport().isEmpty)
        }
    }

    /// Every anomaly found, in words; empty means the history is explained.
    static func check(_ ops: [Op], audit: [AuditRecord], keys: Set<String>) -> [String] {
        var anomalies: [String] = []
        func details(_ r: AuditRecord) -> [String: String] {
            (try? JSONSerialization.jsonObject(with: Data(r.details.utf8))) as? [String: String] ?? [:]
        }
        // 1. Writes and audit records match one to one; a refused write leaves no record.
        var seqOfRotate: [String: Int64] = [:] // "key v" → seq
        var seqOfRevoke: [String: Int64] = [:] // reason → seq
        var perKey: [String: [(seq: Int64, action: String, d: [String: String])]] = [:]
        for r in audit where keys.contains(r.target) && (r.action == "key.rotated" || r.action == "key.revoked") {
            let d = details(r)
            perKey[r.target, default: []].append((r.seq, r.action, d))
            if r.action == "key.rotated" { seqOfRotate["\(r.target) \(d["to_version"] ?? "?")"] = r.seq } else { seqOfRevoke[d["reason"] ?? "?"] = r.seq }
        }
        var written: [(op: Op, seq: Int64)] = []
        for op in ops where op.kind != .verify {
            switch (op.kind, op.status) {
            case (.rotate, 200):
                guard let v = op.version, let seq = seqOfRotate.removeValue(forKey: "\(op.key) \(v)") else {
                    anomalies.append("rotate of \(op.key) to v\(op.version ?? -1) answered 200 but has no audit record"); continue
                }
                written.append((op, seq))
            case (.revoke, 200):
                guard let reason = op.reason, let seq = seqOfRevoke.removeValue(forKey: reason) else {
                    anomalies.append("revoke of \(op.key) answered 200 but has no audit record"); continue
                }
                written.append((op, seq))
            case (_, 409):
                break
            default:
                anomalies.append("\(op.kind) of \(op.key) answered \(op.status)")
            }
        }
        anomalies += seqOfRotate.keys.map { "audit has a rotation no client saw succeed: \($0)" }
        anomalies += seqOfRevoke.keys.map { "audit has a revocation no client saw succeed: \($0)" }
        // 2. Per key, the audit order is a legal sequential history: versions 2, 3, … one at a
        //    time, at most one revocation, and nothing after it.
        for (key, records) in perKey {
            var current = 1, revoked = false
            for r in records.sorted(by: { $0.seq < $1.seq }) {
                if revoked { anomalies.append("\(key): \(r.action) at seq \(r.seq) after its revocation") }
                if r.action == "key.revoked" { revoked = true; continue }
                guard r.d["from_version"] == String(current), r.d["to_version"] == String(current + 1) else {
                    anomalies.append("\(key): rotation \(r.d["from_version"] ?? "?")→\(r.d["to_version"] ?? "?") while v\(current) was current"); continue
                }
                current += 1
            }
        }
        // 3. Real time: a write that completed before another was invoked comes first in the chain.
        let byInvoke = written.sorted { $0.op.invoke < $1.op.invoke }
        for a in written {
            for b in byInvoke where a.op.complete < b.op.invoke && a.seq > b.seq {
                anomalies.append("\(a.op.kind) of \(a.op.key) completed before \(b.op.kind) of \(b.op.key) began, yet follows it in the audit")
            }
        }
        // 4. A refused write (409) is explained only by a revocation that had begun before it ended.
        let revokes = Dictionary(grouping: written.filter { $0.op.kind == .revoke }.map(\.op), by: \.key)
        let rotations = Dictionary(uniqueKeysWithValues: written.filter { $0.op.kind == .rotate }.map { ("\($0.op.key) \($0.op.version!)", $0.op) })
        for op in ops where op.kind != .verify && op.status == 409 {
            guard let r = revokes[op.key]?.first, r.invoke < op.complete else {
                anomalies.append("\(op.kind) of \(op.key) was refused with no revocation under way"); continue
            }
        }
        // 5. Verify answers, against the writes that had completed before it began and those that
        //    had begun before it ended.
        for v in ops where v.kind == .verify {
            guard let version = v.version else { continue }
            let revoke = revokes[v.key]?.first
            let successor = rotations["\(v.key) \(version + 1)"]
            let revokedBefore = revoke.map { $0.complete < v.invoke } ?? false
            let revokedMaybe = revoke.map { $0.invoke < v.complete } ?? false
            let supersededBefore = successor.map { $0.complete < v.invoke } ?? false
            let supersededMaybe = successor.map { $0.invoke < v.complete } ?? false
            switch (v.valid, v.reason) {
            case (true, nil):
                if revokedBefore || supersededBefore { anomalies.append("verify of \(v.key) v\(version) valid after it was \(revokedBefore ? "revoked" : "rotated")") }
            case (false, "revoked"):
                if !revokedMaybe { anomalies.append("verify of \(v.key) v\(version) answered revoked with no revocation under way") }
            case (false, "rotated"):
                if !supersededMaybe { anomalies.append("verify of \(v.key) v\(version) answered rotated before any successor") }
                if revokedBefore { anomalies.append("verify of \(v.key) v\(version) answered rotated after it was revoked") }
            default:
                anomalies.append("verify of \(v.key) v\(version) answered \(v.valid.map(String.init) ?? "?") \(v.reason ?? "")")
            }
        }
        return anomalies
    }
}
