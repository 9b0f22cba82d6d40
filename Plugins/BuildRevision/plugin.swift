import Foundation
import PackagePlugin

// Why a plugin: the only build-time codegen SwiftPM runs from a fresh clone, `swift run` and a source tarball alike (REVISION file, else "unknown").
/// Writes `keywardRevision` (the git revision the binary is built from, `-dirty` when tracked
/// files differ from it) into the `keyward` executable target before every build.
/// Rewritten only when the revision changes, into the two-file executable target only, so nothing else recompiles.
@main
struct BuildRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = #"""
            root="$1"; out="$2"; mkdir -p "$out"
            rev=$(git -C "$root" describe --always --dirty --abbrev=7 --exclude='*' 2>/dev/null) \
              || rev=$(tr -cd '0-9a-zA-Z.-' 2>/dev/null < "$root/REVISION") || rev=""
            [ -n "$rev" ] || rev=unknown
            printf '// Generated at build time by Plugins/BuildRevision.\nlet keywardRevision = "%s"\n' "$rev" > "$out/.BuildRevision.new"
            if cmp -s "$out/.BuildRevision.new" "$out/BuildRevision.swift"; then rm "$out/.BuildRevision.new"
            else mv "$out/.BuildRevision.new" "$out/BuildRevision.swift"; fi
            """#
        return [.prebuildCommand(displayName: "Keyward build revision", executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
