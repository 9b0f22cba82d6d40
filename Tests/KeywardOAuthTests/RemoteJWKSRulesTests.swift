import KeywardOAuth
import Testing

/// Case 20's rules as values, before any connection: which addresses a `jwks_uri` fetch may reach,
/// how the allow-list matches hosts, and which URLs pass.
@Suite("jwks_uri rules: addresses, allow-list, URLs")
struct RemoteJWKSRulesTests {
    func address(_ text: String) throws -> OutboundAddress { try #require(OutboundAddress(literal: text), "\(text)") }

    @Test("link-local (169.254/16, fe80::/10, cloud metadata), unspecified, multicast, broadcast and reserved are never reached, even for a host named exactly")
    func neverReached() throws {
        for text in ["169.254.169.254", "169.254.0.1", "fe80::1", "febf::1", "0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "239.255.255.250",
                     "ff02::1", "255.255.255.255", "240.0.0.1"] {
            let a = try address(text)
            #expect(!a.permitted(hostNamedExactly: true), "\(text) is \(a.kind)")
            #expect(!a.permitted(hostNamedExactly: false), "\(text)")
        }
        #expect(try address("169.254.169.254").kind == .linkLocal)
        #expect(try address("fe80::abcd").kind == .linkLocal)
    }

    @Test("IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96) IPv6 addresses are judged as the IPv4 they carry")
    func embeddedIPv4() throws {
        #expect(try address("::ffff:169.254.169.254").kind == .linkLocal)
        #expect(try address("::ffff:a9fe:a9fe").kind == .linkLocal, "the same address in hex")
        #expect(try address("64:ff9b::169.254.169.254").kind == .linkLocal)
        #expect(try address("::ffff:127.0.0.1").kind == .loopback)
        #expect(try address("::ffff:10.1.2.3").kind == .privateNetwork)
        #expect(try address("::ffff:8.8.8.8").kind == .global)
        #expect(!(try address("[::ffff:169.254.169.254]")).permitted(hostNamedExactly: true), "brackets as in a URL")
    }

    @Test("loopback and private addresses only for a host the allow-list names exactly; global addresses always")
    func privateOnlyWhenNamed() throws {
        for text in ["127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
                     "fc00::1", "fd12:3456::1", "fec0::1"] {
            let a = try address(text)
            #expect(a.permitted(hostNamedExactly: true), "\(text)")
            #expect(!a.permitted(hostNamedExactly: false), "\(text) under a .domain entry")
        }
        for text in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111"] {
            #expect(try address(text).permitted(hostNamedExactly: false), "\(text) is global")
        }
    }

    @Test("inet_aton shorthands (127.1, 0x7f.0.0.1, 2130706433) are not addresses, and match no allow-list entry")
    func shorthands() throws {
        let list = try JWKSAllowList(["127.0.0.1", ".example.com"])
        for text in ["127.1", "0x7f.0.0.1", "2130706433", "017700000001"] {
            #expect(OutboundAddress(literal: text) == nil, "\(text)")
            #expect(list.match(host: text) == nil, "\(text)")
        }
    }

    @Test("allow-list: an exact host matches itself in any case and with a trailing dot; .domain matches names under it, never the domain itself, a look-alike or an IP")
    func allowList() throws {
        let list = try JWKSAllowList(["jwks.example.org", ".example.com", "127.0.0.1", "[::1]"])
        #expect(list.match(host: "jwks.example.org") == .exact)
        #expect(list.match(host: "JWKS.Example.ORG.") == .exact)
        #expect(list.match(host: "a.jwks.example.org") == nil, "an exact entry covers no subdomain")
        #expect(list.match(host: "a.example.com") == .suffix)
        #expect(list.match(host: "b.a.example.com") == .suffix)
        #expect(list.match(host: "example.com") == nil)
        #expect(list.match(host: "evilexample.com") == nil)
        #expect(list.match(host: "example.com.evil.net") == nil)
        #expect(list.match(host: "127.0.0.1") == .exact)
        #expect(list.match(host: "::1") == .exact && list.match(host: "[::1]") == .exact && list.match(host: "0:0:0:0:0:0:0:1") == .exact)
        #expect(list.match(host: "127.0.0.2") == nil)
        #expect(try JWKSAllowList([".0.0.1"]).match(host: "127.0.0.1") == nil, "an IP is never under a domain suffix")
        #expect(JWKSAllowList().isEmpty)
        for bad in ["", ".", "*.example.com", "https://example.com", "example.com:443", "example.com/jwks", "exa mple.com", "-x.example.com"] {
            #expect(throws: JOSEError.self, "\(bad)") { try JWKSAllowList([bad]) }
        }
    }

    @Test("a host name is resolved here (getaddrinfo), so its addresses are checked before any connection: localhost is loopback, an IP literal is itself")
    func resolution() async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        let local = try await RemoteJWKS.resolve("localhost", until: deadline)
        #expect(!local.isEmpty && local.allSatisfy { $0.kind == .loopback }, "\(local)")
        #expect(local.allSatisfy { !$0.permitted(hostNamedExactly: false) }, "under a .domain entry localhost would be refused")
        #expect(try await RemoteJWKS.resolve("169.254.169.254", until: deadline).map(\.kind) == [.linkLocal])
        await #expect(throws: (any Error).self) { try await RemoteJWKS.resolve("no-such-host.invalid", until: deadline) }
    }

    @Test("URLs: https on an allowed host; http only to loopback; no userinfo; an empty allow-list refuses every jwks_uri")
    func urls() throws {
        let list = try JWKSAllowList([".example.com", "127.0.0.1", "localhost", "jwks.example.org"])
        #expect(try RemoteJWKS.target("https://id.example.com/.well-known/jwks.json", allowList: list).match == .suffix)
        #expect(try RemoteJWKS.target("http://127.0.0.1:8081/jwks", allowList: list).match == .exact)
        #expect(try RemoteJWKS.target("http://localhost:8081/jwks", allowList: list).host == "localhost")
        func reason(_ url: String, _ l: JWKSAllowList) -> String {
            do { _ = try RemoteJWKS.target(url, allowList: l); return "accepted" } catch { return error.reason }
        }
        #expect(reason("http://id.example.com/jwks", list).contains("https"))
        #expect(reason("http://localhost.example.com/jwks", list).contains("https"), "a name that merely starts with localhost is not loopback")
        #expect(reason("ftp://id.example.com/jwks", list).contains("https"))
        #expect(reason("https://user:pw@id.example.com/jwks", list).contains("user"))
        #expect(reason("https://other.example.net/jwks", list).contains("allow-list"))
        #expect(reason("https://example.com/jwks", list).contains("allow-list"))
        #expect(reason("/relative/jwks", list).contains("absolute"))
        #expect(reason("https://id.example.com/jwks", JWKSAllowList()).contains("--jwks-allow"))
    }
}
