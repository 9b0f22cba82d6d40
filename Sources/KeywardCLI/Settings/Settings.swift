import Configuration
import Foundation
import KeywardCore
import KeywardGovernance

/// Keyward's configuration, read through one swift-configuration `ConfigReader`, as Hummingbird 2
/// applications do: the flags ArgumentParser parsed, then the `KEYWARD_*` environment, then the
/// documented defaults (`ServerConfiguration`'s, and the few the CLI owns). ArgumentParser keeps
/// the command tree, `--help` and flag names; its parsed options are the first provider.
///
/// This is the only place that reads the process environment; commands read values here and
/// validate them once, before they start any work.
package struct Settings: Sendable {
    private let reader: ConfigReader

    /// The process environment, read once. Also the source of the non-`KEYWARD_*` variables that
    /// are not Keyward settings: HOME and XDG_* (where the caches and the scanner key live),
    /// PATH, NIO's own loop count, and the environment handed on to a child process.
    package static let processEnvironment = ProcessInfo.processInfo.environment

    /// `flags`: the command's options, nil where not given. `environment`: the variables to
    /// read (the process's unless given). `defaults`: a command's own, over the CLI's.
    package init(flags: [Setting: String?] = [:], environment: [String: String] = Self.processEnvironment, defaults: [Setting: String] = [:]) {
        let secrets = Set(Setting.allCases.filter(\.isSecret).map(\.variable))
        let variables = EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secrets))
        reader = ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: Self.values(flags.compactMapValues { $0 })),
            variables.prefixKeys(with: "keyward"),
            InMemoryProvider(name: "defaults", values: Self.values(Self.defaults(environment: environment).merging(defaults) { $1 })),
        ])
    }

    /// The value from the first provider that has one; nil when none does (no default).
    package subscript(_ setting: Setting) -> String? {
        reader.string(forKey: setting.key, isSecret: setting.isSecret)
    }

    /// On/off: `1`, `true` or `yes` (any case) is on; anything else, or nothing, is off.
    package func isOn(_ setting: Setting) -> Bool {
        ["1", "true", "yes"].contains(self[setting]?.lowercased() ?? "")
    }

    /// An integer within `range`, or nil when not set; otherwise exit 2 naming the flag, whether
    /// the bad value came from the flag or from the environment.
    package func integer(_ setting: Setting, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = self[setting] else { return nil }
        guard let v = Int(raw), range.contains(v) else {
            throw CLIExit.error("\(setting.flag) must be from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// The compiled scanner-rule cache: `value` (a flag or setting), `none` for no cache, or
    /// `$XDG_CACHE_HOME/keyward` (`~/.cache/keyward`) when nil.
    package static func ruleCache(_ value: String?) -> String? {
        value == "none" ? nil : (value ?? defaultRuleCache(environment: processEnvironment))
    }

    static func defaultRuleCache(environment: [String: String]) -> String {
        (environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")) + "/keyward"
    }

    /// The CLI's own documented defaults. `serve` adds the server's (`ServeCommand.serverDefaults`,
    /// from `ServerConfiguration`), so this type needs nothing from the server module.
    static func defaults(environment: [String: String]) -> [Setting: String] {
        [
            .dataDir: StoreLocation().dataDirectory,
            .ruleCacheDir: defaultRuleCache(environment: environment),
            .logLevel: "info",
            .addr: "http://127.0.0.1:8080",
        ]
    }

    private static func values(_ settings: [Setting: String]) -> [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (setting, text) in settings {
            let redacted = setting.isSecret
            values[AbsoluteConfigKey(setting.key)] = ConfigValue(.string(text), isSecret: redacted)
        }
        return values
    }
}
