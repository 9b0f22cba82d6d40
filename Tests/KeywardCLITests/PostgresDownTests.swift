import Foundation
import KeywardTesting
import Testing

/// Issue 11: a PostgreSQL that is down, or that refuses, says so at start — where, and what to
/// check — instead of the driver's "generic description".
@Suite("PostgreSQL down or refusing, at start")
struct PostgresDownTests {
    @Test("nothing listening: exit 2 naming the address and 'connection refused'; a missing database is named as such; no password is echoed")
    func saysSo() async throws {
        let port = try PostgresServer.freePort()
        let down = try await KeywardBinary.run(["serve", "--database", "postgres://keyward:hunter2secret@127.0.0.1:\(port)/keyward", "--port", "0"])
        #expect(down.status == 2)
        #expect(down.stderr.contains("PostgreSQL at 127.0.0.1:\(port) is unreachable: connection refused"), "\(down.stderr)")
        #expect(!down.stderr.contains("hunter2secret") && !down.stderr.contains("Generic description"))

        let pg = try PostgresServer.instance()
        let url = try pg.createDatabase()
        let missing = url.replacingOccurrences(of: #"/kw_test_\d+\?"#, with: "/no_such_db?", options: .regularExpression)
        let r = try await KeywardBinary.run(["serve", "--database", missing, "--port", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("has no such database"), "\(r.stderr)")
    }
}
