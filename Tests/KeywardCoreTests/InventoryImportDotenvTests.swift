import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…", "AKIAEXAMPLEFAKE00000"); none is key material.
@Suite("Inventory import parsers: dotenv")
struct InventoryImportDotenvTests: InventoryImportTesting {
    // MARK: - dotenv

    @Test("dotenv: KEY=value lines, export, comments and blank lines, in file order with line numbers")
    func dotenvBasics() throws {
        let text = """
        # Payments service
        STRIPE_SECRET_KEY=test-only-value-123

        export AWS_ACCESS_KEY_ID=AKIAEXAMPLEFAKE00000
          export   INDENTED_KEY=test-only-indented
        DB_PASSWORD = test-only-spaced   \t
        app.name-2=test-only-dotted
        _UNDERSCORE=test-only-underscore
        export=test-only-key-named-export
        """
        #expect(try parse(text, .dotenv) == [
            ImportedValue(name: "STRIPE_SECRET_KEY", value: "test-only-value-123", line: 2),
            ImportedValue(name: "AWS_ACCESS_KEY_ID", value: "AKIAEXAMPLEFAKE00000", line: 4),
            ImportedValue(name: "INDENTED_KEY", value: "test-only-indented", line: 5),
            ImportedValue(name: "DB_PASSWORD", value: "test-only-spaced", line: 6),
            ImportedValue(name: "app.name-2", value: "test-only-dotted", line: 7),
            ImportedValue(name: "_UNDERSCORE", value: "test-only-underscore", line: 8),
            ImportedValue(name: "export", value: "test-only-key-named-export", line: 9),
        ])
    }

    @Test("dotenv: an inline comment is stripped only from unquoted values, and only after whitespace")
    func dotenvInlineComments() throws {
        let text = """
        A=test-only-a # the comment
        B=test-only#kept
        C=#test-only-leading-hash
        D= # only a comment, so D is empty and skipped
        E="test-only # inside double quotes" # outside
        F='test-only # inside single quotes' # outside
        """
        #expect(try parse(text, .dotenv) == [
            ImportedValue(name: "A", value: "test-only-a", line: 1),
            ImportedValue(name: "B", value: "test-only#kept", line: 2),
            ImportedValue(name: "C", value: "#test-only-leading-hash", line: 3),
            ImportedValue(name: "E", value: "test-only # inside double quotes", line: 5),
            ImportedValue(name: "F", value: "test-only # inside single quotes", line: 6),
        ])
    }

    @Test("dotenv: single quotes are literal, double quotes understand \\n \\t \\\" \\\\")
    func dotenvQuoting() throws {
        let text = #"""
        SINGLE='test-only\n$HOME "x"'
        DOUBLE="test-only\nline2\ttab \"q\" back\\slash"
        UNKNOWN="test-only\$kept"
        SPACES="  test-only padded  "
        """#
        #expect(try parse(text, .dotenv) == [
            ImportedValue(name: "SINGLE", value: #"test-only\n$HOME "x""#, line: 1),
            ImportedValue(name: "DOUBLE", value: "test-only\nline2\ttab \"q\" back\\slash", line: 2),
            ImportedValue(name: "UNKNOWN", value: #"test-only\$kept"#, line: 3),
            ImportedValue(name: "SPACES", value: "  test-only padded  ", line: 4),
        ])
    }

    @Test("dotenv: a double-quoted value may span lines; its line is the key's")
    func dotenvMultiline() throws {
        let text = """
        CERT="test-only-first-line
        test-only-second-line

        test-only-last-line" # trailing comment
        NEXT=test-only-next
        """
        #expect(try parse(text, .dotenv) == [
            ImportedValue(name: "CERT", value: "test-only-first-line\ntest-only-second-line\n\ntest-only-last-line", line: 1),
            ImportedValue(name: "NEXT", value: "test-only-next", line: 5),
        ])
    }

    @Test("dotenv: empty values are skipped")
    func dotenvEmpty() throws {
        let text = "EMPTY=\nEMPTY_DQ=\"\"\nEMPTY_SQ=''\nEMPTY_WS=   \nKEPT=test-only-kept\n"
        #expect(try parse(text, .dotenv) == [ImportedValue(name: "KEPT", value: "test-only-kept", line: 5)])
    }

    @Test("dotenv: CRLF line endings and a byte-order mark are accepted")
    func dotenvCRLF() throws {
        let text = "\u{FEFF}# comment\r\nA=test-only-a\r\nB=\"test-only-b1\r\ntest-only-b2\"\r\n"
        #expect(try parse(text, .dotenv) == [
            ImportedValue(name: "A", value: "test-only-a", line: 2),
            ImportedValue(name: "B", value: "test-only-b1\ntest-only-b2", line: 3),
        ])
    }

    @Test("dotenv: a line with no '=' is an error at its line")
    func dotenvMissingEquals() {
        let error = importError("A=test-only-a\n\n# comment\ntest-only-stray-line\n", .dotenv)
        #expect(error?.line == 4)
        #expect(error?.message == "expected KEY=value")
        #expect(importError("export ONLY_A_NAME", .dotenv)?.line == 1)
    }

    @Test("dotenv: invalid key names are errors", arguments: ["1ABC=test-only", "BAD KEY=test-only", "=test-only", "KÉY=test-only", "A$B=test-only"])
    func dotenvBadKey(line: String) {
        let error = importError("OK=test-only-ok\n" + line, .dotenv)
        #expect(error?.line == 2)
        #expect(error?.message.hasPrefix("invalid key name") == true)
    }

    @Test("dotenv: unterminated quotes are errors at the key's line, naming the key")
    func dotenvUnterminated() {
        let single = importError("A=test-only-a\nSINGLE='test-only-open\nB=test-only-b'\n", .dotenv)
        #expect(single == InventoryImportError(line: 2, message: "unterminated single-quoted value for SINGLE"))
        let double = importError("A=test-only-a\nDOUBLE=\"test-only-open\nB=test-only-b\n", .dotenv)
        #expect(double == InventoryImportError(line: 2, message: "unterminated double-quoted value for DOUBLE"))
    }

    @Test("dotenv: text after a closing quote is an error")
    func dotenvTextAfterQuote() {
        #expect(importError("A='test-only'junk", .dotenv) == InventoryImportError(line: 1, message: "unexpected text after the closing quote of A"))
        #expect(importError("A=\"test-only\nstill\"junk", .dotenv)?.line == 2)
    }
}
