import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import Testing

/// Case 66 of docs/security-cases.md at the token endpoint: oauth_ratelimit.py
/// floods the token endpoint from 127.0.0.2 with assertions that carry a victim's `client_id` but are
/// signed by another key, then asks for the victim's token from 127.0.0.1 (the victim's own address).
@Suite("Rate limits at the token endpoint: case 66")
struct OAuthRateLimitTests {
    typealias A = DriverAnswers

    @Test("case 66: a flood of forged assertions with a victim's client_id gets 401 until the address's failure bucket is spent, then 429; the victim's own address is served, and the flooder's other targets are judged")
    func failureBucketPerAddressAndClient() async throws {
        // The default failure limit's burst (30), refilled once an hour instead of every 2 s, so that a
        // slow machine sending the flood cannot earn an extra attempt while it runs.
        try await OAuthDriver.with(configure: { try! $0.rateLimits.apply("failure=30/3600:30") }) { s, d in
            let r = try await d.run("ratelimit")
            let statuses = try #require(r.json["flood_statuses"] as? [Int])
            #expect(statuses.prefix(30).allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(statuses.dropFirst(30).allSatisfy { $0 == 429 }, "\(statuses)")
            #expect(r.json["flood_errors"] as? [String] == ["invalid_client", "temporarily_unavailable"])
            let retry = try #require(Int(r.string("flood_last", "retry_after") ?? ""))
            #expect(retry >= 1 && retry <= 120)
            #expect(r.string("flood_last", "ratelimit_policy") == "\"failure\";q=30;w=3600")
            #expect(r.outcome("victim_own_source") == A.ok, "the victim's traffic from its own address is unaffected")
            #expect(r.status("victim_from_flooder") == 429, "the flooding address waits out its bucket even with a good assertion")
            #expect(r.outcome("other_from_flooder") == A.invalidClient, "one bucket per address and client: another client is still judged")
            let metrics = try await s.anonymous("GET", "/metrics")
            #expect(metrics.text.contains("keyward_ratelimit_refused_total{limit=\"failure\"} 11"))
            try await d.expectNoLeak()
        }
    }
}
