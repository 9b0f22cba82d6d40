import Foundation

extension ArchiveScan {
    /// A docker-save tarball: its layers expanded as `image.tar!layer sha256:…!/app/.env`, its
    /// configs scanned as `image.tar!config sha256:…!Env` (and `!Labels`, `!Cmd`, `!history`);
    /// the other entries (manifests, index, legacy per-layer json) only describe these.
    func scanImage(_ image: ContainerImage, source: ArchiveReader.Source) throws {
        let reader: ArchiveReader
        do { reader = try ArchiveReader(source) } catch { warn(base.path, "not a readable archive (\(error.message)); skipped"); return }
        var done = Set<String>()
        loop: while !stopped {
            switch reader.next() {
            case .end: break loop
            case .failure(let message, _):
                warn(base.path, "corrupt or truncated image (\(message)); the rest of it is skipped")
                break loop
            case .entry(let e):
                // A layer docker stored once and linked from another layer's folder counts as there.
                guard done.insert(e.name).inserted, e.regular else { continue }
                if let label = image.layers[e.name] {
                    try layer(of: reader, path: base.path + "!" + label)
                } else if let config = image.configs[e.name] {
                    try scanConfig(config.json, path: base.path + "!" + config.label)
                }
                if !stopped && !reader.skipsCheaply { drain(reader) }
            }
        }
        for (name, label) in image.layers where !done.contains(name) {
            warn(base.path + "!" + label, "listed by the image's manifest but missing from the tarball")
        }
    }

    /// An OCI image layout folder: each layer blob read as an archive file of its own.
    func scanLayoutDirectory(_ path: String, image: ContainerImage) throws {
        for (name, label) in image.layers.sorted(by: { $0.key < $1.key }) where !stopped {
            let display = base.path + "!" + label
            do {
                try expand(try ArchiveReader(.file(path + "/" + name)), outer: display, depth: 2, layer: true)
            } catch let f as ArchiveFailure {
                warn(display, "not a readable layer (\(f.message)); skipped")
            }
        }
        for (_, config) in image.configs.sorted(by: { $0.key < $1.key }) where !stopped {
            try scanConfig(config.json, path: base.path + "!" + config.label)
        }
    }

    /// A layer inside a tarball: opened on the stream of its entry.
    private func layer(of reader: ArchiveReader, path: String) throws {
        var head = [UInt8](repeating: 0, count: 8192)
        guard case .success(let n) = head.withUnsafeMutableBytes({ reader.readFully(into: $0) }) else {
            warn(path, "unreadable layer; skipped")
            return
        }
        head.removeSubrange(n...)
        do {
            try expand(try ArchiveReader(.entry(EntryStream(outer: reader, prefix: head))), outer: path, depth: 2, layer: true)
        } catch let f as ArchiveFailure {
            warn(path, "not a readable layer (\(f.message)); skipped")
        }
    }

    /// The config's values a build leaves secrets in, one per line: `Env`, `Labels`
    /// (`key=value`), `Cmd` (the entrypoint and the command) and `history` (each step's `created_by`).
    func scanConfig(_ json: [UInt8], path: String) throws {
        guard let doc = ContainerImage.json(json) as? [String: Any] else {
            warn(path, "not a JSON image config; skipped")
            return
        }
        for (part, text) in Self.configParts(doc) where !text.isEmpty {
            var origin = base
            origin.path = path + "!" + part
            let bytes = Array(text.utf8)
            result.findings += try bytes.withUnsafeBytes { try blobScanner.scan($0, origin: origin, worker: worker) }
            result.files += 1
            result.bytes += bytes.count
        }
    }

    static func configParts(_ doc: [String: Any]) -> [(String, String)] {
        let config = doc["config"] as? [String: Any] ?? doc["Config"] as? [String: Any] ?? [:]
        let env = config["Env"] as? [String] ?? []
        let labels = (config["Labels"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let command = [config["Entrypoint"], config["Cmd"]].compactMap { ($0 as? [String])?.joined(separator: " ") }
        let history = (doc["history"] as? [[String: Any]] ?? []).map { $0["created_by"] as? String ?? "" }
        return [("Env", env.joined(separator: "\n")), ("Labels", labels.joined(separator: "\n")),
                ("Cmd", command.joined(separator: "\n")), ("history", history.joined(separator: "\n"))]
    }
}
