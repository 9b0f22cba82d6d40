/// Text for a person's terminal. Values that come from outside (a reported URL, a file name, a
/// server's answer) may hold control characters that move the cursor, clear the screen or set
/// the window title (`ESC[2J`, `ESC]0;…BEL`), or bidi controls that make text read differently
/// from what it is (U+202E). `safe(_:)` shows each of them as a visible escape instead.
///
/// Lives in Core, not the CLI, because the scanner's text report (below the CLI) needs it too.
package enum TerminalText {
    /// `s` with every unsafe scalar (see `isUnsafe`) written as `\xHH` (below U+0100) or
    /// `\u{HHHH}`. Newlines stay only with `keepingNewlines` (a multi-line message whose layout
    /// needs them); in a field or a table cell they are escaped, so a value cannot forge a line.
    package static func safe(_ s: some StringProtocol, keepingNewlines: Bool = false) -> String {
        let scalars = s.unicodeScalars
        guard scalars.contains(where: { isUnsafe($0) && !(keepingNewlines && $0 == "\n") }) else { return String(s) }
        var out = String.UnicodeScalarView()
        for u in scalars {
            if !isUnsafe(u) || (keepingNewlines && u == "\n") {
                out.append(u)
                continue
            }
            let hex = String(u.value, radix: 16, uppercase: u.value >= 0x100)
            let escaped = u.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{" + hex + "}"
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }

    /// C0 controls (tab and newline included), DEL, C1 controls, the bidi embedding, override and
    /// isolate controls and marks, and the line and paragraph separators.
    package static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
