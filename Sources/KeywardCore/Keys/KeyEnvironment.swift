/// The environment tag of a Keyward key: `kw_live_…` or `kw_test_…`.
package enum KeyEnvironment: String, Sendable, CaseIterable, Codable {
    case live
    case test
}
