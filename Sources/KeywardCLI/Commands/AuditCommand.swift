import ArgumentParser
import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore
import Logging

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Prove the hash-chained audit log.",
        subcommands: [List.self, Verify.self, Checkpoint.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove the audit chain and the state it accounts for; exit 1 naming the first bad record or disagreement.",
            discussion: """
                Recomputes the hash chain and checks that it ends at the head the store keeps beside it (a deleted tail fails). \
                Then replays the records into the keys, identities and incidents they imply and compares every row of those tables \
                (status, versions, expiry and grace, scopes, owner): an edit made around the audit, such as a key un-revoked in the \
                database, fails naming the table, the id, the field and both values. With --checkpoint, also proves the chain still \
                contains that signed head (a rewrite of the whole chain and its head since then fails). Exit 0 ok, 1 a finding, 2 error.
                """)
        @Option(help: "Data folder of a SQLite store (default $KEYWARD_DATA_DIR or ./keyward-data).") var dataDir: String?
        @Option(help: "postgres://… or sqlite:PATH instead of --data-dir.") var database: String?
        @Option(help: "A checkpoint JSON file saved from GET /v1/audit/checkpoint.") var checkpoint: String?
        @Option(help: "Trusted Ed25519 public key (base64) for the checkpoint; default: derived from <data-dir>/audit-signing.key.") var publicKey: String?

        func run() async throws {
            let settings = Settings(flags: [.dataDir: dataDir, .databaseURL: database])
            let storeConfig: StoreConfiguration
            let dir = settings[.dataDir] ?? StoreLocation().dataDirectory
            if let url = settings[.databaseURL] {
                do { storeConfig = try StoreConfiguration.parse(databaseURL: url) } catch { throw CLIExit.error("\(error)") }
            } else {
                storeConfig = .sqlite(dataDirectory: dir)
            }
            if case .sqlite(let path) = storeConfig.backend, !FileManager.default.fileExists(atPath: path) {
                throw CLIExit.error("no Keyward store at \(path)")
            }
            var cp: AuditCheckpoint?
            if let checkpoint {
                guard let data = FileManager.default.contents(atPath: checkpoint) else { throw CLIExit.error("cannot read \(checkpoint)") }
                guard let c = try? JSONDecoder().decode(AuditCheckpoint.self, from: data) else {
                    throw CLIExit.error("\(checkpoint) is not a checkpoint ({seq, hash, signature, public_key})")
                }
                var trusted: Curve25519.Signing.PublicKey?
                if let pk = publicKey {
                    guard let raw = Data(base64Encoded: pk), let k = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                        throw CLIExit.error("--public-key must be a base64 Ed25519 public key")
                    }
                    trusted = k
                } else if database == nil, let k = try? DataFolder.auditSigningKey(at: (dir as NSString).appendingPathComponent("audit-signing.key"), create: false) {
                    trusted = k.publicKey
                } else {
                    FileHandle.standardError.write(Data("keyward: warning: no trusted public key; checking the checkpoint against the key it names\n".utf8))
                }
                guard c.isValidSignature(trusted: trusted) else {
                    Output.line("audit chain: FAILED — the checkpoint's signature is not valid")
                    throw CLIExit(1)
                }
                cp = c
            }
            var logger = Logger(label: "keyward.audit")
            logger.logLevel = .error
            let store: Store
            do { store = try await Store.open(storeConfig, logger: logger) } catch { throw CLIExit.error("\(error)") }
            let verdict: AuditVerdict
            do {
                verdict = try await store.verifyAudit(checkpoint: cp)
            } catch {
                await store.close()
                throw CLIExit.error("cannot read the audit log: \(error)")
            }
            await store.close()
            switch verdict {
            case .ok(let count, let seq, let hash, let rows, let skipped):
                Output.line("audit chain ok: \(count) records, head seq \(seq) hash \(hash)\(cp.map { ", contains checkpoint seq \($0.seq)" } ?? "")")
                Output.line("state ok: \(rows) rows of keys, identities and incidents match the audit\(skipped > 0 ? " (\(skipped) records not interpreted)" : "")")
            case .chainBroken(let seq, let problem):
                Output.line("audit chain: FAILED at record \(seq): \(problem)")
                throw CLIExit(1)
            case .stateDiffers(let d, let count):
                Output.line("audit chain ok: \(count) records")
                Output.line("state: FAILED — \(d)")
                throw CLIExit(1)
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch the signed head of the chain (save it to prove no truncation later).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Write the checkpoint to this file.") var output: String?
        func run() async throws {
            let cp = try await client.client().call("GET", "/v1/audit/checkpoint", as: CheckpointResponse.self)
            if let output {
                let data = try WireCoding.encoder().encode(cp)
                guard FileManager.default.createFile(atPath: output, contents: data) else { throw CLIExit.error("cannot write \(output)") }
                Output.line("checkpoint seq \(cp.seq) written to \(output)")
            } else {
                try Output.json(cp)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read the audit log in chain order (fingerprints only, never a secret).")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only the last N records.") var last: Int?
        @Option(help: "Page size (1-1000).") var limit: Int = 100
        @Option(help: "Cursor from a previous page.") var cursor: String?
        func run() async throws {
            let api = try client.client()
            var start = cursor
            if let last {
                guard (1...1000).contains(last) else { throw CLIExit.error("--last must be 1 to 1000") }
                let head = try await api.call("GET", "/v1/audit/checkpoint", as: CheckpointResponse.self)
                start = PageCursor.encode(String(max(0, head.seq - Int64(last))))
            }
            var q = [("limit", String(last ?? limit))]
            if let start { q.append(("cursor", start)) }
            let page = try await api.call("GET", "/v1/audit" + Query.string(q), as: ListResponse<AuditRecordResponse>.self)
            try client.present(page, ids: { String($0.seq) }) {
                Output.table(["SEQ", "AT", "ACTOR", "ACTION", "TARGET", "DETAILS"], page.items.map { r in
                    [String(r.seq), Output.date(r.at), r.actor, r.action, r.target, r.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
                })
            }
        }
    }
}
