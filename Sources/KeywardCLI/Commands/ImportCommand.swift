import ArgumentParser
import Foundation
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardScanner

/// `keyward import dotenv|k8s-secret|aws-credentials FILE --identity ID`: brings existing
/// third-party credentials into the inventory. Each variable is classified locally (the
/// scanner's rules on the value with its key as context, then name and value heuristics:
/// `ImportClassifier`, `CredentialHeuristics`); only credentials are sent, once, to the server,
/// which fingerprints them and drops the plaintext. The rest is listed as skipped with its
/// reason. Nothing here prints or logs a value.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring third-party credentials from a .env file, a Kubernetes Secret or an AWS credentials file into the inventory.",
        discussion: """
            Each variable is classified: a scanner rule that recognises the value (with its key as context), else its name \
            (KEY, SECRET, TOKEN, PASSWORD, PASSWD, PWD, CREDENTIAL, PRIVATE, AUTH, DSN) and a value that is not a placeholder, \
            boolean, number, log level, path or URL without a password. Credentials are imported; the rest is skipped, each \
            with its reason (--dry-run lists the decisions and sends nothing). Names: the variable (dotenv), \
            namespace/name:data.key (k8s-secret), profile:key (aws-credentials). Exit 0 also when nothing is left to import. \
            The plaintext goes to the server once (only over TLS or on this machine), is fingerprinted there and dropped. \
            KEYWARD_TOKEN needs keyward:admin.
            """)
    @OptionGroup var client: ClientOptions
    @Argument(help: "dotenv, k8s-secret or aws-credentials.") var format: String
    @Argument(help: "The file (- for standard input).") var file: String
    @Option(help: "The identity that owns these credentials (idn_…); owner and purpose come from it.") var identity: String
    @Flag(help: "Classify and list what would be imported and what skipped; send nothing.") var dryRun = false
    @Option(name: .customLong("only"), help: "Import only this variable (exact name; repeatable), even one the classifier would skip.")
    var only: [String] = []
    @Option(name: .customLong("skip"), help: "Do not import this variable (exact name; repeatable).") var skip: [String] = []
    @Option(help: "Folder for the compiled rule database cache (default: ~/.cache/keyward; 'none' disables).") var cacheDir: String?

    /// One row of the report (`--json`): a decision and its reason, never a value.
    struct Row: Encodable {
        var name: String
        var line: Int
        var decision: String
        var provider: String?
        var ruleId: String?
        var highEntropy: Bool
        var reason: String
        var credential: CredentialResponse?
    }

    struct Report: Encodable {
        var dryRun: Bool
        var imported: Int
        var skipped: Int
        var items: [Row]
    }

    func run() async throws {
        guard let fmt = InventoryFormat(rawValue: format) else {
            throw CLIExit.error("the format must be one of \(InventoryFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let values = try readValues(fmt)
        let selection = ImportSelection(only: only, skip: skip)
        let problems = selection.problems(names: values.map(\.name))
        guard problems.isEmpty else { throw CLIExit.error("\(file): " + problems.joined(separator: "; ")) }

        let scanner = try SecretScanner(ruleSet: RuleSet.builtIn(), cacheDirectory: Settings.ruleCache(cacheDir))
        let classifier = try ImportClassifier(scanner: scanner)
        var classified: [ClassifiedValue] = []
        var errors: [String] = []
        for v in values {
            var c = try classifier.classify(v)
            switch selection.apply(to: v, decision: c.decision) {
            case .success(let d): c.decision = d
            case .failure(let p): errors.append(p.message)
            }
            classified.append(c)
        }
        guard errors.isEmpty else { throw CLIExit.error(errors.joined(separator: "\n")) }

        let chosen = classified.filter(\.decision.isCredential)
        let longNames = chosen.filter { $0.value.name.unicodeScalars.count > 200 }.map { "\($0.value.name.prefix(60))… (line \($0.value.line))" }
        guard longNames.isEmpty else { throw CLIExit.error("names over 200 characters cannot be kept: " + longNames.joined(separator: ", ")) }
        var rows = classified.map(Self.row)
        if !dryRun && !chosen.isEmpty {
            let items = chosen.map {
                CredentialImportItem(name: $0.value.name, secret: $0.value.value, provider: $0.rule?.provider ?? "unknown", ruleId: $0.rule?.id,
                                     highEntropy: $0.rule?.highEntropy ?? false)
            }
            let req = CredentialImportRequest(identityId: identity, origin: fmt.rawValue, items: items)
            let resp: ListResponse<CredentialResponse>
            do { resp = try await client.client().call("POST", "/v1/credentials", body: req, as: ListResponse<CredentialResponse>.self) } catch var e as CLIExit {
                // The server names an item `items[NAME]`; say it as the file does: `NAME (line N)`.
                for c in chosen { e.message = e.message?.replacingOccurrences(of: "items[\(c.value.name)].", with: "\(c.value.name) (line \(c.value.line)): ") }
                throw e
            }
            // The server answers in the order it was sent.
            var answers = resp.items.makeIterator()
            for i in rows.indices where rows[i].decision == "import" {
                rows[i].credential = answers.next()
                if rows[i].credential?.created == false { rows[i].reason += "; already held" }
            }
        }
        let imported = chosen.count
        if client.json {
            try Output.json(Report(dryRun: dryRun, imported: imported, skipped: rows.count - imported, items: rows))
        } else {
            let headers = ["NAME", "LINE", "DECISION", "PROVIDER", "RULE", "REASON"] + (dryRun ? [] : ["ID"])
            Output.table(headers, rows.map { r in
                [r.name, String(r.line), r.decision, r.provider ?? "-", r.ruleId ?? "-", r.reason] + (dryRun ? [] : [r.credential?.id ?? "-"])
            })
        }
        if imported == 0 {
            Output.note("nothing to import: every variable in \(file) was skipped (see REASON; --only NAME imports one anyway)")
        } else if dryRun {
            Output.note("\(imported) to import, \(rows.count - imported) to skip; nothing was sent (--dry-run)")
        }
    }

    func readValues(_ fmt: InventoryFormat) throws -> [ImportedValue] {
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
        guard !values.isEmpty else { throw CLIExit.error("\(file): no variables with a value found") }
        guard values.count <= 1_000 else { throw CLIExit.error("\(file): more than 1,000 values; split the file") }
        return values
    }

    static func row(_ c: ClassifiedValue) -> Row {
        let d = c.decision
        return Row(name: c.value.name, line: c.value.line, decision: d.isCredential ? "import" : "skip",
                   provider: c.rule?.provider ?? (d.isCredential ? "unknown" : nil), ruleId: c.rule?.id,
                   highEntropy: d.isCredential && (c.rule?.highEntropy ?? false), reason: d.reason)
    }
}
