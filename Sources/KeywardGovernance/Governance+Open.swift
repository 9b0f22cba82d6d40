import Foundation
import KeywardCore
import KeywardScanner
import KeywardStore
import Logging

extension Governance {
    /// Opens the store at `location` without a server, as `keyward serve` would: the data folder
    /// and its key files are checked (and, with `create`, made as a first start makes them), the
    /// scanner rules the free-text check uses are loaded from `ruleCacheDirectory` (nil: on first
    /// use, if any), and an empty
    /// store is bootstrapped (its admin key returned once). For the benchmarks' seeding and
    /// offline administration; the caller closes `store`.
    package static func open(_ location: StoreLocation, create: Bool, policy: IssuancePolicy = IssuancePolicy(), ruleCacheDirectory: String?,
                             logger: Logger) async throws -> (Governance, Secret?) {
        if create, location.usesDataFolder { try DataFolder.prepare(location.dataDirectory) }
        let storeConfiguration = try location.storeConfiguration
        if !create, case .sqlite(let path) = storeConfiguration.backend, !FileManager.default.fileExists(atPath: path) {
            throw KeywardError(.validation, "no Keyward store at \(path)")
        }
        let fingerprints = try location.hmacKey(create: create)
        try DataFolder.checkStoreFiles(storeConfiguration)
        if let ruleCacheDirectory { await CredentialShape.prepare(cacheDirectory: ruleCacheDirectory) }
        let store = try await Store.open(storeConfiguration, logger: logger)
        let governance = Governance(store: store, policy: policy, fingerprints: fingerprints, logger: logger)
        do {
            return (governance, create ? try await governance.bootstrapIfEmpty() : nil)
        } catch {
            await store.close()
            throw error
        }
    }
}
