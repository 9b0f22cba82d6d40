import ArgumentParser
import Crypto
import Foundation
import KeywardAPI
import KeywardCore
import KeywardServer
import KeywardStore
import Logging

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Prove the hash-chained audit log.",
        subcommands: [Verify.self, Checkpoint.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit chain from the store; exit 1 naming the first bad record.",
            discussion: "With --checkpoint, also prove the chain still contains that signed head (no truncation or rewrite since).")
        @Option(help: "Data folder of a SQLite store (default $KEYWARD_DATA_DIR or ./keyward-data).") var dataDir: String?
        @Option(help: "postgres://… or sqlite:PATH instead of --data-dir.") var database: String?
        @Option(help: "A checkpoint JSON file saved from GET /v1/audit/checkpoint.") var checkpoint: String?
        @Option(help: "Trusted Ed25519 public key (base64) for the checkpoint; default: derived from <data-dir>/audit-signing.key.") var publicKey: String?

        func run() async throws {
            let env = ProcessInfo.processInfo.environment
            let storeConfig: StoreConfiguration
            let dir = dataDir ?? env["KEYWARD_DATA_DIR"] ?? "keyward-data"
            if let url = database ?? env["KEYWARD_DATABASE_URL"] {
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
                    print("audit chain: FAILED — the checkpoint's signature is not valid")
                    throw CLIExit(1)
                }
                cp = c
            }
            var logger = Logger(label: "keyward.audit")
            logger.logLevel = .error
            let store: Store
            do { store = try await Store.open(storeConfig, logger: logger) } catch { throw CLIExit.error("\(error)") }
            var verifier = AuditChainVerifier(checkpoint: cp)
            do {
                try await store.forEachAudit { verifier.feed($0) }
            } catch {
                await store.close()
                throw CLIExit.error("cannot read the audit log: \(error)")
            }
            await store.close()
            switch verifier.finish() {
            case .ok(let count, let seq, let hash):
                print("audit chain ok: \(count) records, head seq \(seq) hash \(hash)" + (cp.map { ", contains checkpoint seq \($0.seq)" } ?? ""))
            case .broken(let seq, let problem):
                print("audit chain: FAILED at record \(seq): \(problem)")
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
                print("checkpoint seq \(cp.seq) written to \(output)")
            } else {
                try Output.json(cp)
            }
        }
    }
}
