import Foundation
import KeywardServer
import KeywardTesting
import Testing

/// Runs `oauth_driver.py` (next to this file) against a `TestServer`: real OAuth clients
/// (requests-oauth2client, and assertions and proofs forged with cryptography) over the socket.
/// The driver generates its keys at run time, registers its own clients on the identity it is
/// given, and prints one JSON line of statuses, error codes and header values. Every assertion,
/// proof and token it sent or received goes to a ledger file, which this reads into the server's
/// `SecretLedger`, so `leakReport()` proves none reached a log line, an audit record, a response
/// or the database.
struct OAuthDriver {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    static let script = directory + "/oauth_driver.py"

    let server: TestServer
    let identity: String
    let scratch: TempDirectory

    init(_ server: TestServer) async throws {
        self.server = server
        identity = try await server.createIdentity()
        scratch = try TempDirectory("keyward-oauth-driver")
    }

    /// Runs one scenario and returns its answers; the driver's own failure is a thrown error.
    func run(_ scenario: String, _ args: [String] = [], environment extra: [String: String] = [:]) async throws -> DriverAnswers {
        let ledger = scratch.file("ledger")
        var env = ProcessInfo.processInfo.environment
        env["KEYWARD_URL"] = server.baseURL
        env["KEYWARD_ADMIN_KEY"] = server.adminKey
        env["KEYWARD_IDENTITY"] = identity
        env["KEYWARD_LEDGER"] = ledger
        env["KEYWARD_STATE"] = scratch.file("state.json")
        env["KEYWARD_DB"] = server.dataDirectory + "/keyward.sqlite"
        // No __pycache__ in the source tree.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.merge(extra) { $1 }
        let r = try await ProcessRunner.run("/usr/bin/env", ["python3", Self.script, scenario] + args, environment: env)
        let sent = (try? String(contentsOfFile: ledger, encoding: .utf8)) ?? ""
        for line in sent.split(separator: "\n") where !line.isEmpty { server.ledger.record(String(line)) }
        try? FileManager.default.removeItem(atPath: ledger)
        guard r.status == 0, let line = r.stdout.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw DriverFailure(scenario: scenario, status: r.status, stderr: String(r.stderr.suffix(4000)))
        }
        return DriverAnswers(json: json)
    }

    /// Checks that the driver's secrets were recorded and that none of them leaked (case 57, 58).
    func expectNoLeak(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(server.ledger.all.count > 2, "the driver recorded the secrets it exchanged", sourceLocation: sourceLocation)
        #expect(try await server.leakReport() == [], sourceLocation: sourceLocation)
    }

    func remove() { scratch.remove() }
}

/// The driver exited non-zero or printed no JSON.
struct DriverFailure: Error, CustomStringConvertible {
    var scenario: String
    var status: Int32
    var stderr: String
    var description: String { "oauth_driver.py \(scenario) exited \(status): \(stderr)" }
}

/// One scenario's JSON answer: sub-case name → {status, error, token_type, …} or a plain value.
struct DriverAnswers: @unchecked Sendable {
    let json: [String: Any]

    subscript(_ name: String) -> [String: Any] { json[name] as? [String: Any] ?? [:] }
    func status(_ name: String) -> Int? { self[name]["status"] as? Int }
    func error(_ name: String) -> String? { self[name]["error"] as? String }
    func string(_ name: String, _ field: String) -> String? { self[name][field] as? String }
    func bool(_ name: String, _ field: String) -> Bool? { self[name][field] as? Bool }

    /// (status, error) of a sub-case, for compact expectations.
    func outcome(_ name: String) -> Outcome { Outcome(status: status(name), error: error(name)) }

    struct Outcome: Equatable, CustomStringConvertible {
        var status: Int?
        var error: String?
        var description: String { "\(status.map(String.init) ?? "nil") \(error ?? "-")" }
    }

    static func refused(_ status: Int, _ error: String) -> Outcome { Outcome(status: status, error: error) }
    static let ok = Outcome(status: 200, error: nil)
    static let invalidClient = refused(401, "invalid_client")
    static let invalidDPoP = refused(400, "invalid_dpop_proof")
}

extension OAuthDriver {
    /// Starts a server, runs `body` with a driver on it, then checks that none of the driver's
    /// secrets leaked and cleans up.
    static func with(clock: ManualClock? = nil, configure: (inout ServerConfiguration) -> Void = { _ in },
                     _ body: (TestServer, OAuthDriver) async throws -> Void) async throws {
        try await TestServer.with(clock: clock, configure: configure) { s in
            let d = try await OAuthDriver(s)
            defer { d.remove() }
            try await body(s, d)
            try await d.expectNoLeak()
        }
    }
}
