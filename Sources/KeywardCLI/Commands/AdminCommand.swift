import ArgumentParser
import Foundation
import KeywardCore
import KeywardGovernance
import KeywardStore
import Logging

/// `keyward admin recover`: management access back, from local access to the store.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "admin", abstract: "Recover management access.", subcommands: [Recover.self])

    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a new keyward:admin key offline and print it once (every admin key revoked, expired or lost).",
            discussion: """
                Opens the store directly, not over HTTP: it needs the data folder (the SQLite store and hmac.key) or, with \
                PostgreSQL, the database URL and the HMAC key file the servers use, as Vault's operator generate-root needs \
                unseal material. The new key never expires; it is audited as admin.recovered with the local user and host. \
                Nodes on PostgreSQL load it at once; a SQLite server loads it when restarted. Revoke it once you have issued \
                the admin keys you mean to keep.
                """)
        @Option(help: "Data folder of a SQLite store (default $KEYWARD_DATA_DIR or ./keyward-data).") var dataDir: String?
        @Option(help: "postgres://… or sqlite:PATH instead of --data-dir.") var database: String?
        @Option(help: "The servers' HMAC key file (default <data-dir>/hmac.key; required with a postgres:// database).") var hmacKeyFile: String?

        func run() async throws {
            let settings = Settings(flags: [.dataDir: dataDir, .databaseURL: database, .hmacKeyFile: hmacKeyFile])
            let location = StoreLocation(dataDirectory: settings[.dataDir] ?? StoreLocation().dataDirectory, databaseURL: settings[.databaseURL],
                                         hmacKeyFile: settings[.hmacKeyFile])
            if location.hmacKeyFile == nil, location.databaseURL?.hasPrefix("postgres") == true {
                throw CLIExit.error("--hmac-key-file is required with a PostgreSQL database (the key file the servers use)")
            }
            var logger = Logger(label: "keyward") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .warning
            let governance: Governance
            do {
                (governance, _) = try await Governance.open(location, create: false, ruleCacheDirectory: nil, logger: logger)
            } catch let e as KeywardError {
                throw CLIExit.error(e.message)
            } catch {
                throw CLIExit.error("cannot open the store: \(error)")
            }
            let store = governance.store
            // Who ran it, for the audit record: the login, not a Keyward setting.
            let user = Settings.processEnvironment["SUDO_USER"] ?? Settings.processEnvironment["USER"] ?? String(getuid())
            let host = ProcessInfo.processInfo.hostName
            do {
                let (key, secret, before) = try await governance.recoverAdmin(operator: AuditActorName.plain(user), host: AuditActorName.plain(host))
                await store.close()
                print("""
                    Recovered management access. The new keyward:admin key is shown only this once:

                        \(secret.reveal())

                    key id \(key.id); usable admin keys before: \(before). Audited as admin.recovered.
                    A SQLite server loads the key when it is restarted; PostgreSQL nodes load it now.
                    """)
            } catch let e as KeywardError {
                await store.close()
                throw CLIExit.error(e.message)
            }
        }
    }
}

/// Operator and host names go into the audit record: printable ASCII, bounded.
enum AuditActorName {
    static func plain(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F }.prefix(64).map(Character.init))
    }
}
