import Foundation

/// Archives and container images built at test time with Python's zipfile, tarfile and gzip
/// (never committed binaries), from a spec in JSON. Images follow the OCI image-spec and
/// docker save's manifest.json, built by hand: no docker or skopeo needed.
package enum ArchiveFixtures {
    package indirect enum Node {
        case text(String)
        case bytes([UInt8])
        case zip([(String, Node)])
        /// compression: nil, "gz", "bz2" or "xz".
        case tar([(String, Node)], compression: String? = nil)
        case gzip(Node)

        var json: Any {
            switch self {
            case .text(let s): ["text": s] as [String: Any]
            case .bytes(let b): ["bytes": Data(b).base64EncodedString()] as [String: Any]
            case .zip(let entries): ["zip": entries.map { [$0.0, $0.1.json] as [Any] }] as [String: Any]
            case .tar(let entries, let compression): ["tar": entries.map { [$0.0, $0.1.json] as [Any] }, "compress": compression ?? ""] as [String: Any]
            case .gzip(let inner): ["gzip": inner.json] as [String: Any]
            }
        }
    }

    /// A layer: files it adds, and paths it deletes (whiteouts, `.wh.<name>`).
    package struct Layer {
        package var files: [String: String]
        package var deleted: [String]
        package init(files: [String: String] = [:], deleted: [String] = []) {
            self.files = files
            self.deleted = deleted
        }
    }

    package enum ImageLayout: String, CaseIterable, Sendable {
        /// docker save before Docker 25: manifest.json, `<id>/layer.tar`, `<config digest>.json`.
        case dockerLegacy = "docker-legacy"
        /// docker save from Docker 25: an OCI layout in a tarball, with docker's manifest.json too.
        case dockerOCI = "docker-oci"
        /// An OCI image layout folder (skopeo copy oci:…), gzip'd layers.
        case ociDirectory = "oci-dir"
    }

    package static func write(_ node: Node, to path: String) throws {
        try run(["kind": "node", "out": path, "node": node.json])
    }

    package static func image(_ layout: ImageLayout, to path: String, layers: [Layer], env: [String], history: [String]) throws {
        try run(["kind": layout.rawValue, "out": path, "layers": layers.map { ["files": $0.files, "deleted": $0.deleted] as [String: Any] },
                 "env": env, "history": history])
    }

    /// A zip of one text entry of `megabytes` MiB of the same line: about a thousand to one.
    package static func zipBomb(to path: String, megabytes: Int) throws {
        try run(["kind": "bomb", "out": path, "megabytes": megabytes])
    }

    private static func run(_ spec: [String: Any]) throws {
        let input = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        let r = try ProcessRunner.runBlocking("/usr/bin/env", ["python3", "-c", script], stdin: input)
        guard r.status == 0 else { throw POSIXError(.EIO, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
    }

    private static let script = #"""
        import base64, gzip, hashlib, io, json, os, sys, tarfile, zipfile

        def build(node):
            if "text" in node: return node["text"].encode()
            if "bytes" in node: return base64.b64decode(node["bytes"])
            if "gzip" in node: return gzip.compress(build(node["gzip"]), mtime=0)
            if "zip" in node:
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                    for name, child in node["zip"]: z.writestr(name, build(child))
                return buf.getvalue()
            if "tar" in node:
                return tar_of([(n, build(c)) for n, c in node["tar"]], node.get("compress") or "")
            raise SystemExit("unknown node")

        def tar_of(files, compress=""):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:" + compress, format=tarfile.PAX_FORMAT) as t:
                for name, data in files:
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mode = 0o644
                    t.addfile(info, io.BytesIO(data))
            return buf.getvalue()

        def layer_tar(layer):
            files = [(p, d.encode()) for p, d in sorted(layer["files"].items())]
            for p in layer["deleted"]:
                head, _, name = p.rpartition("/")
                files.append(((head + "/" if head else "") + ".wh." + name, b""))
            return tar_of(files)

        def sha(b): return hashlib.sha256(b).hexdigest()

        def image(spec):
            kind, out = spec["kind"], spec["out"]
            layers = [layer_tar(l) for l in spec["layers"]]
            config = {"architecture": "amd64", "os": "linux",
                      "config": {"Env": spec["env"], "Cmd": ["/bin/sh"]},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(l) for l in layers]},
                      "history": [{"created_by": h} for h in spec["history"]]}
            config_bytes = json.dumps(config).encode()
            entries = []
            if kind == "docker-legacy":
                names = []
                for l in layers:
                    lid = sha(l + b"id")
                    entries += [(lid + "/VERSION", b"1.0"), (lid + "/json", json.dumps({"id": lid}).encode()), (lid + "/layer.tar", l)]
                    names.append(lid + "/layer.tar")
                cname = sha(config_bytes) + ".json"
                entries.append((cname, config_bytes))
                entries.append(("manifest.json", json.dumps([{"Config": cname, "RepoTags": ["app:1"], "Layers": names}]).encode()))
                entries.append(("repositories", json.dumps({"app": {"1": sha(layers[-1] + b"id")}}).encode()))
                open(out, "wb").write(tar_of(entries))
                return
            blobs = {}
            if kind == "oci-dir": layers = [gzip.compress(l, mtime=0) for l in layers]
            media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if kind == "oci-dir" else "")
            for l in layers: blobs[sha(l)] = l
            blobs[sha(config_bytes)] = config_bytes
            manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(config_bytes), "size": len(config_bytes)},
                "layers": [{"mediaType": media, "digest": "sha256:" + sha(l), "size": len(l)} for l in layers]}).encode()
            blobs[sha(manifest)] = manifest
            index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + sha(manifest), "size": len(manifest)}]}).encode()
            files = [("blobs/sha256/" + h, b) for h, b in blobs.items()]
            files += [("index.json", index), ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')]
            if kind == "docker-oci":
                files.append(("manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(config_bytes), "RepoTags": ["app:1"],
                    "Layers": ["blobs/sha256/" + sha(l) for l in layers]}]).encode()))
                open(out, "wb").write(tar_of(files))
            else:
                for name, data in files:
                    os.makedirs(os.path.dirname(os.path.join(out, name)) or out, exist_ok=True)
                    open(os.path.join(out, name), "wb").write(data)

        spec = json.load(sys.stdin)
        os.makedirs(os.path.dirname(spec["out"]) or ".", exist_ok=True)
        if spec["kind"] == "node":
            open(spec["out"], "wb").write(build(spec["node"]))
        elif spec["kind"] == "bomb":
            line = b"lorem ipsum dolor sit amet, consectetur adipiscing elit\n"
            block = line * (1048576 // len(line) + 1)
            with zipfile.ZipFile(spec["out"], "w", zipfile.ZIP_DEFLATED) as z:
                with z.open("payload.txt", "w", force_zip64=True) as f:
                    for _ in range(spec["megabytes"]): f.write(block[:1048576])
        else:
            image(spec)
        """#
}
