import Foundation

/// A fresh folder under the system temp dir, removed by `remove()`.
package struct TempDirectory: Sendable {
    package let path: String

    package init(_ label: String = "keyward") throws {
        let base = FileManager.default.temporaryDirectory.path
        // Not SeededRandom: a name must differ between runs and concurrent processes, not replay.
        var rng = SystemRandomNumberGenerator()
        path = (base as NSString).appendingPathComponent("\(label)-\(String(rng.next() as UInt64, radix: 36))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    package func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    package func remove() { try? FileManager.default.removeItem(atPath: path) }
}
