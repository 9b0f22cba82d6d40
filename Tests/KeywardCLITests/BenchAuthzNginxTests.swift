import Foundation
import KeywardCLI
import KeywardTesting
import Testing

/// `bench authz` measures Keyward's forward-auth against NGINX with no auth, and then the ceiling:
/// the same shipped block asking an authorizer that costs nothing. Its configuration is built from
/// the shipped file, so a change there must still give nginx a configuration it accepts.
@Suite("bench authz: NGINX configuration")
struct BenchAuthzNginxTests {
    @Test("the bench's configuration (shipped block, no-auth proxy, ceiling block) passes nginx -t, and the ceiling asks the free authorizer, never Keyward")
    func configuration() async throws {
        let shipped = try String(contentsOfFile: KeywardBinary.repositoryRoot().path + "/deploy/nginx/keyward-authz.conf", encoding: .utf8)
        let ports = BenchAuthzNginx.Ports(authz: 18_001, keyward: 18_002, upstream: 18_003, plain: 18_004, ceiling: 18_005, freeAuthorizer: 18_006)
        let (block, main) = BenchAuthzNginx.configuration(shipped: shipped, ports: ports)
        #expect(block.contains("listen 127.0.0.1:18001;") && block.contains("server 127.0.0.1:18002;") && block.contains("server 127.0.0.1:18003;"))

        // The ceiling block: its own listener and authorizer upstream; the API upstream is defined once.
        let ceiling = main[main.range(of: "upstream keyward_free {")!.lowerBound...]
        #expect(ceiling.contains("server 127.0.0.1:18006;") && ceiling.contains("listen 127.0.0.1:18005;"))
        #expect(ceiling.contains("proxy_pass http://keyward_free/v1/authz;"))
        #expect(!ceiling.contains("18002") && !ceiling.contains("18001"), "the ceiling never asks Keyward nor listens where the authz block does")
        #expect((block + main).components(separatedBy: "upstream keyward_api {").count == 2)

        let dir = try TempDirectory("keyward-bench-nginx")
        defer { dir.remove() }
        try block.write(toFile: dir.file("keyward-authz.conf"), atomically: true, encoding: .utf8)
        try main.write(toFile: dir.file("nginx.conf"), atomically: true, encoding: .utf8)
        let check = try await ProcessRunner.run("/usr/sbin/nginx", ["-t", "-p", dir.path, "-e", "stderr", "-c", dir.file("nginx.conf")])
        #expect(check.status == 0, "\(check.stderr)")
    }
}
