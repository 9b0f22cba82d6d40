import KeywardCore
import Testing

/// Issue 10 item 8: what the CLI prints cannot drive the terminal.
@Suite("Terminal text")
struct TerminalTextTests {
    @Test("escape sequences, C1 and DEL are shown as \\xHH; plain text, accents and emoji pass")
    func controls() {
        #expect(TerminalText.safe("\u{1B}[2J\u{1B}]0;pwned\u{07}") == "\\x1b[2J\\x1b]0;pwned\\x07")
        #expect(TerminalText.safe("a\u{7F}b\u{9B}c\u{0}") == "a\\x7fb\\x9bc\\x00")
        #expect(TerminalText.safe("café ☕ 東京 https://x.example/a?b=c#d") == "café ☕ 東京 https://x.example/a?b=c#d")
    }

    @Test("bidi controls are shown as \\u{…}, so the text reads as it is stored")
    func bidi() {
        #expect(TerminalText.safe("invoice\u{202E}fdp.exe") == "invoice\\u{202E}fdp.exe")
        for u: UInt32 in [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069] {
            let s = TerminalText.safe("a" + String(Unicode.Scalar(u)!) + "b")
            #expect(!s.unicodeScalars.contains(Unicode.Scalar(u)!), "U+\(String(u, radix: 16))")
            #expect(s.contains("\\u{"))
        }
    }

    @Test("newline and tab are escaped in a field; newlines kept only where a layout asks")
    func newlines() {
        #expect(TerminalText.safe("a\nb\tc\r") == "a\\x0ab\\x09c\\x0d")
        #expect(TerminalText.safe("usage:\n  keyward\u{1B}[31m", keepingNewlines: true) == "usage:\n  keyward\\x1b[31m")
    }
}
