import Foundation
import PackagePlugin

// Why a plugin: the only build-time codegen SwiftPM runs from a fresh clone, `swift run` and a source tarball alike (REVISION file, else "unknown").
/// Writes `keywardRevision` (the git revision the binary is built from, `-dirty` when tracked
/// files differ from it) into the `keyward` executable target. A build command, not a prebuild
/// one: SwiftPM reruns prebuild commands only when it plans the build again, which a commit
/// alone does not cause, so the revision went stale; this command's inputs are git's HEAD, the
/// branch ref and index, and every source file, so a commit, a checkout or an edit reruns it.
/// The file is rewritten only when the revision changes, so only this two-file target recompiles.
@main
struct BuildRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "generated").appending(path: "BuildRevision.swift")
        let script = #"""
            root="$1"; out="$2"; mkdir -p "$(dirname "$out")"
            rev=$(git -C "$root" describe --always --dirty --abbrev=7 --exclude='*' 2>/dev/null) \
              || rev=$(tr -cd '0-9a-zA-Z.-' 2>/dev/null < "$root/REVISION") || rev=""
            [ -n "$rev" ] || rev=unknown
            printf '// Generated at build time by Plugins/BuildRevision.\nlet keywardRevision = "%s"\n' "$rev" > "$out.new"
            if cmp -s "$out.new" "$out"; then rm "$out.new"; else mv "$out.new" "$out"; fi
            """#
        let sources = context.package.targets.compactMap { $0 as? SourceModuleTarget }.flatMap { $0.sourceFiles.map(\.url) }
        let inputs = Self.gitFiles(root) + [root.appending(path: "Package.swift")] + sources
        return [.buildCommand(displayName: "Keyward build revision", executable: URL(fileURLWithPath: "/bin/sh"),
                              arguments: ["-c", script, "sh", root.path, output.path],
                              inputFiles: inputs, outputFiles: [output])]
    }

    /// HEAD, the index, the branch's ref and packed-refs of the repository at `root` (a plain
    /// clone or a worktree), those that exist.
    static func gitFiles(_ root: URL) -> [URL] {
        let dotGit = root.appending(path: ".git")
        var gitDir = dotGit
        if let link = try? String(contentsOf: dotGit, encoding: .utf8), link.hasPrefix("gitdir: ") {
            gitDir = URL(fileURLWithPath: link.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines), relativeTo: root)
        }
        var common = gitDir
        if let rel = try? String(contentsOf: gitDir.appending(path: "commondir"), encoding: .utf8) {
            common = URL(fileURLWithPath: rel.trimmingCharacters(in: .whitespacesAndNewlines), relativeTo: gitDir.appending(path: "")).standardizedFileURL
        }
        var files = [gitDir.appending(path: "HEAD"), gitDir.appending(path: "index"), common.appending(path: "packed-refs")]
        if let head = try? String(contentsOf: gitDir.appending(path: "HEAD"), encoding: .utf8), head.hasPrefix("ref: ") {
            files.append(common.appending(path: head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }
    }
}
