import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore
import KeywardScanner

/// `keyward import dotenv|k8s-secret|aws-credentials FILE --identity ID`: brings existing
/// third-party credentials into the inventory. Each value is classified locally with the
/// scanner's rules (provider, rule, high-entropy or not), then sent once to the server, which
/// fingerprints it and drops the plaintext. Nothing here prints or logs a value.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring third-party credentials from a .env file, a Kubernetes Secret or an AWS credentials file into the inventory.",
        discussion: "The plaintext goes to the server once (only over TLS or on this machine), is fingerprinted there and dropped. KEYWARD_TOKEN needs keyward:admin.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "dotenv, k8s-secret or aws-credentials.") var format: String
    @Argument(help: "The file (- for standard input).") var file: String
    @Option(help: "The identity that owns these credentials (idn_…); owner and purpose come from it.") var identity: String
    @Flag(help: "Classify and list what would be imported; send nothing.") var dryRun = false
    @Option(help: "Folder for the compiled rule database cache (default: ~/.cache/keyward; 'none' disables).") var cacheDir: String?

    func run() async throws {
        guard let fmt = InventoryFormat(rawValue: format) else {
            throw CLIExit.error("the format must be one of \(InventoryFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIExit.error("cannot read \(file)") }
            text = String(decoding: data, as: UTF8.self)
        }
        let values: [ImportedValue]
        do { values = try InventoryImport.parse(text, format: fmt) } catch let e as InventoryImportError {
            throw CLIExit.error("\(file): \(e)")
        }
        guard !values.isEmpty else { throw CLIExit.error("\(file): no secrets found") }
        guard values.count <= 1_000 else { throw CLIExit.error("\(file): more than 1,000 values; split the file") }

        let env = ProcessInfo.processInfo.environment
        let scanner = try SecretScanner(ruleSet: RuleSet.builtIn(), cacheDirectory: ScanCommand.cacheDirectory(cacheDir, env: env))
        let worker = try scanner.makeWorker()
        var items: [CredentialImportItem] = []
        var rows: [[String]] = []
        for v in values {
            let rule = try Self.classify(v.value, scanner: scanner, worker: worker)
            items.append(CredentialImportItem(name: v.name, secret: v.value, provider: rule?.provider ?? "unknown", ruleId: rule?.id,
                                              highEntropy: rule?.highEntropy ?? false))
            rows.append([v.name, String(v.line), rule?.provider ?? "unknown", rule?.id ?? "-", (rule?.highEntropy ?? false) ? "yes" : "no"])
        }
        if dryRun {
            Output.table(["NAME", "LINE", "PROVIDER", "RULE", "HIGH ENTROPY"], rows)
            return
        }
        let req = CredentialImportRequest(identityId: identity, origin: fmt.rawValue, items: items)
        let resp = try await client.client().call("POST", "/v1/credentials", body: req, as: ListResponse<CredentialResponse>.self)
        if client.json { try Output.json(resp); return }
        Output.table(["ID", "NAME", "PROVIDER", "PREFIX", "FINGERPRINT", "NEW"], resp.items.map {
            [$0.id, $0.name, $0.provider, $0.prefix + "…", String($0.fingerprint.prefix(28)) + "…", ($0.created ?? true) ? "yes" : "already held"]
        })
    }

    /// The rule that recognises the whole value (or most of it), preferring specific rules
    /// over generic ones.
    static func classify(_ value: String, scanner: SecretScanner, worker: SecretScanner.Worker) throws -> Rule? {
        let bytes = Array(value.utf8)
        let hits = try bytes.withUnsafeBytes { try scanner.scan($0, worker: worker) }
        let covering = hits.filter { ($0.secretTo - $0.secretFrom) * 2 >= bytes.count }
        let rules = covering.map { scanner.rules[$0.rule] }
        return rules.first { !$0.isGeneric } ?? rules.first
    }
}
