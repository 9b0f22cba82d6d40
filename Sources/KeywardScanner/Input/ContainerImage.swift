import Foundation

/// A container image found by its structure, not its name: a `docker save` tarball (the legacy
/// layout, manifest.json + `<id>/layer.tar`, or the OCI layout Docker 25 writes, index.json +
/// `blobs/sha256/…`) or an OCI image layout directory (oci-layout + index.json + blobs). Every
/// layer is scanned, so a secret deleted in an upper layer is still reported from the lower one.
package struct ContainerImage {
    /// Entry name (in the tarball, or relative to the layout folder) → "layer sha256:…".
    var layers: [String: String] = [:]
    /// Entry name → "config sha256:…" and the config's JSON.
    var configs: [String: (label: String, json: [UInt8])] = [:]

    /// The small JSON documents an image is described by: at most this many bytes each.
    static let documentCap = 4 << 20

    /// Reads the image's description from a tarball in one pass over its headers (layers are
    /// skipped, not read). Nil, usually after the first entry, for a tarball that is not an image.
    static func probe(_ source: ArchiveReader.Source) -> ContainerImage? {
        guard let reader = try? ArchiveReader(source) else { return nil }
        var documents: [String: [UInt8]] = [:]
        var kept = 0
        loop: while true {
            switch reader.next() {
            case .end: break loop
            case .failure: return nil
            case .entry(let e):
                guard reader.isTar, isImageEntry(e.name) else { return nil }
                guard e.regular, isDocument(e.name), (e.size ?? 0) <= documentCap, kept < 8 * documentCap else { continue }
                var bytes = [UInt8](repeating: 0, count: min(e.size ?? documentCap, documentCap))
                guard case .success(let n) = bytes.withUnsafeMutableBytes({ reader.readFully(into: $0) }) else { return nil }
                bytes.removeSubrange(n...)
                if bytes.first == UInt8(ascii: "{") || bytes.first == UInt8(ascii: "[") {
                    documents[e.name] = bytes
                    kept += n
                }
            }
        }
        return plan { documents[$0] }
    }

    /// An OCI image layout folder: its description read from its files.
    static func directory(_ path: String) -> ContainerImage? {
        plan { name in
            guard isDocument(name), let h = FileHandle(forReadingAtPath: path + "/" + name) else { return nil }
            defer { try? h.close() }
            let data = (try? h.read(upToCount: documentCap + 1)) ?? Data()
            return data.count <= documentCap ? Array(data) : nil
        }
    }

    /// Whether a folder holds an OCI image layout (checked by the walker).
    static func isLayout(names: [String]) -> Bool {
        names.contains("oci-layout") && names.contains("index.json") && names.contains("blobs")
    }

    /// The layers and configs named by the documents: docker's manifest.json first, else the OCI index.
    static func plan(_ document: (String) -> [UInt8]?) -> ContainerImage? {
        var image = ContainerImage()
        if let manifest = document("manifest.json").flatMap(json) as? [[String: Any]] {
            for m in manifest {
                guard let layers = m["Layers"] as? [String] else { continue }
                let configName = (m["Config"] as? String).map(normalized)
                let config = configName.flatMap(document)
                let diffIDs = ((config.flatMap(json) as? [String: Any])?["rootfs"] as? [String: Any])?["diff_ids"] as? [String] ?? []
                for (i, raw) in layers.enumerated() {
                    let name = normalized(raw)
                    image.layers[name] = "layer " + (blobDigest(name) ?? (i < diffIDs.count ? diffIDs[i] : name))
                }
                if let configName, let config {
                    image.configs[configName] = ("config " + (blobDigest(configName) ?? legacyConfigDigest(configName)), config)
                }
            }
        } else if document("oci-layout") != nil || document("index.json") != nil, let index = document("index.json").flatMap(json) as? [String: Any] {
            image.resolve(index, document: document, depth: 0)
        }
        return image.layers.isEmpty ? nil : image
    }

    /// An OCI index's manifests (nested indexes followed a few levels): their layers and configs.
    private mutating func resolve(_ index: [String: Any], document: (String) -> [UInt8]?, depth: Int) {
        guard depth < 4 else { return }
        for d in index["manifests"] as? [[String: Any]] ?? [] {
            guard let digest = d["digest"] as? String, let name = Self.blobName(digest),
                  let doc = document(name).flatMap(Self.json) as? [String: Any] else { continue }
            if doc["manifests"] != nil {
                resolve(doc, document: document, depth: depth + 1)
                continue
            }
            for l in doc["layers"] as? [[String: Any]] ?? [] {
                if let ld = l["digest"] as? String, let ln = Self.blobName(ld) { layers[ln] = "layer " + ld }
            }
            if let cd = (doc["config"] as? [String: Any])?["digest"] as? String, let cn = Self.blobName(cd), let config = document(cn) {
                configs[cn] = ("config " + cd, config)
            }
        }
    }

    // MARK: names

    static func json(_ bytes: [UInt8]) -> Any? { try? JSONSerialization.jsonObject(with: Data(bytes)) }

    static func normalized(_ name: String) -> String {
        var n = name
        while n.hasPrefix("./") { n.removeFirst(2) }
        return n
    }

    private static func isHex64(_ s: Substring) -> Bool {
        s.count == 64 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// `sha256:<hex>` → `blobs/sha256/<hex>` (other algorithms too: `blobs/<alg>/<hex>`).
    package static func blobName(_ digest: String) -> String? {
        let parts = digest.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0].allSatisfy({ $0.isLetter || $0.isNumber }), !parts[1].isEmpty,
              parts[1].allSatisfy({ $0.isHexDigit }) else { return nil }
        return "blobs/\(parts[0])/\(parts[1])"
    }

    /// `blobs/sha256/<hex>` → `sha256:<hex>`.
    static func blobDigest(_ name: String) -> String? {
        let parts = name.split(separator: "/")
        guard parts.count == 3, parts[0] == "blobs", !parts[2].isEmpty else { return nil }
        return "\(parts[1]):\(parts[2])"
    }

    /// Docker's legacy config `<hex>.json` is named after its digest.
    static func legacyConfigDigest(_ name: String) -> String {
        name.hasSuffix(".json") ? "sha256:" + name.dropLast(5) : name
    }

    /// A name a docker-save or OCI tarball holds; anything else means the tarball is not an image.
    package static func isImageEntry(_ rawName: String) -> Bool {
        let name = rawName.hasSuffix("/") ? String(rawName.dropLast()) : rawName
        if ["manifest.json", "index.json", "oci-layout", "repositories", "blobs"].contains(name) { return true }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count <= 3, parts[0] == "blobs" { return parts.count < 3 || !parts[2].isEmpty }
        if parts.count == 1, name.hasSuffix(".json") { return isHex64(parts[0].dropLast(5)) }
        if isHex64(parts[0]) { return parts.count == 1 || (parts.count == 2 && ["VERSION", "json", "layer.tar"].contains(parts[1])) }
        return false
    }

    /// A name that may hold one of the JSON documents (read while probing; layers never are).
    static func isDocument(_ name: String) -> Bool {
        ["manifest.json", "index.json", "oci-layout"].contains(name) || (name.hasSuffix(".json") && !name.contains("/")) || name.hasPrefix("blobs/")
    }
}
