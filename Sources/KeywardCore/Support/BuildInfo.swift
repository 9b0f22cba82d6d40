import Synchronization

/// What this binary is: `keyward --version` and `/metrics` `keyward_build_info`.
package enum BuildInfo {
    /// The release version; scripts/package.sh names the tarball after it.
    package static let version = "0.12.0"

    private static let revisionBox = Mutex("unknown")
    /// The git revision the binary was built from (`e25ae19`, `e25ae19-dirty`), set once by
    /// the executable at start (Plugins/BuildRevision); "unknown" in tests and tarball builds.
    package static var revision: String {
        get { revisionBox.withLock { $0 } }
        set { revisionBox.withLock { $0 = newValue } }
    }

    /// The Swift compiler the binary was built with.
    package static var swiftVersion: String {
        #if compiler(>=6.4)
        "6.4+"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #else
        "6.1"
        #endif
    }

    /// `keyward 0.12.0 (e25ae19)`.
    package static var line: String { "keyward \(version) (\(revision))" }
}
