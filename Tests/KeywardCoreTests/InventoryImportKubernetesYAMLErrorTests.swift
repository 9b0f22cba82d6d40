import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…"); none is key material.
/// Malformed Kubernetes YAML: each error names the line and column of the offending entry (Yams
/// reports both), never a value.
@Suite("Inventory import parsers: Kubernetes Secret YAML errors")
struct InventoryImportKubernetesYAMLErrorTests: InventoryImportTesting {
    static let head = "kind: Secret\nmetadata:\n  name: x\n"

    @Test("k8s: invalid base64 is an error naming the key, its line and column")
    func k8sInvalidBase64() {
        let text = "kind: Secret\nmetadata:\n  name: bad\ndata:\n  ok: \(base64("test-only-ok"))\n  broken: test-only-not-base64!\n"
        #expect(importError(text, .k8sSecret) == InventoryImportError(line: 6, column: 3, message: "data.broken is not valid base64"))
    }

    @Test("k8s: a tab in indentation is an error at its line and column that says so")
    func k8sTabs() {
        let error = importError("kind: Secret\nmetadata:\n\tname: tabbed\n", .k8sSecret)
        #expect(error?.line == 3 && error?.column == 1)
        #expect(error?.message.contains("a tab: YAML indents with spaces only") == true, "\(String(describing: error))")
        let nested = importError(Self.head + "stringData:\n  \ttoken: test-only\n", .k8sSecret)
        #expect(nested?.line == 5 && nested?.column == 3)
    }

    @Test("k8s: structural errors are reported at their line and column", arguments: [
        // (the lines after `head`, line, column, words the message holds)
        ("stringData:\n  token: \"test-only-open\n", 6, 1, "quoted scalar that starts at line 5, column 10"),
        ("stringData:\n  token: 'test-only-open\n", 6, 1, "quoted scalar that starts at line 5, column 10"),
        ("stringData:\n  token: test-only\n  token: test-only-again\n", 5, 3, "duplicate key 'token'"),
        ("   namespace: bad-indent\n", 4, 13, "mapping values are not allowed"),
        ("stringData:\n  a: b: test-only\n", 5, 7, "mapping values are not allowed"),
        ("stringData:\n  token: *alias\n", 5, 10, "undefined alias"),
        ("stringData:\n  token: \"test-only\\q\"\n", 5, 20, "unknown escape character"),
        ("stringData:\n  token: \"test-only\" junk\n", 5, 22, "did not find expected key"),
        ("stringData:\n  token: |x\n    test-only\n", 5, 11, "block scalar"),
        ("stringData: {a: test-only,\n  b: c\n", 6, 1, "flow mapping that starts at line 4, column 13"),
        ("? [a, b]\n: test-only\n", 4, 3, "a mapping key must be a string"),
    ])
    func k8sStructuralErrors(rest: String, line: Int, column: Int, words: String) {
        let error = importError(Self.head + rest, .k8sSecret)
        #expect(error?.line == line && error?.column == column, "\(String(describing: error))")
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
    }

    @Test("k8s: a Secret must have metadata.name, and data/stringData must be maps of strings")
    func k8sShapeErrors() {
        #expect(importError("kind: Secret\nmetadata:\n  namespace: x\ndata:\n  a: \(base64("test-only"))\n", .k8sSecret)
            == InventoryImportError(line: 2, column: 1, message: "Secret has no metadata.name"))
        #expect(importError("kind: Secret\ndata:\n  a: \(base64("test-only"))\n", .k8sSecret)
            == InventoryImportError(line: 1, column: 1, message: "Secret has no metadata"))
        #expect(importError(Self.head + "data:\n  - test-only\n", .k8sSecret)
            == InventoryImportError(line: 4, column: 1, message: "Secret data must be a mapping"))
        #expect(importError(Self.head + "stringData: test-only\n", .k8sSecret)
            == InventoryImportError(line: 4, column: 1, message: "Secret stringData must be a mapping"))
        #expect(importError(Self.head + "stringData:\n  not a mapping line\n", .k8sSecret)
            == InventoryImportError(line: 4, column: 1, message: "Secret stringData must be a mapping"))
        #expect(importError(Self.head + "stringData:\n  nested:\n    deeper: test-only\n", .k8sSecret)
            == InventoryImportError(line: 5, column: 3, message: "stringData.nested must be a string"))
    }

    @Test("k8s: a value tagged other than as a string (!!binary, a local tag) is refused at its key")
    func k8sTags() throws {
        #expect(importError(Self.head + "stringData:\n  token: !!binary dGVzdA==\n", .k8sSecret)
            == InventoryImportError(line: 5, column: 3, message: "stringData.token has the tag !!binary; a Secret's values are plain strings"))
        #expect(importError(Self.head + "data:\n  token: !vault test-only\n", .k8sSecret)?.message.contains("the tag !vault") == true)
        // `!!str` is a string.
        #expect(try parse(Self.head + "stringData:\n  token: !!str test-only-str\n", .k8sSecret).map(\.value) == ["test-only-str"])
    }

    @Test("k8s: aliases that nest into far more nodes than the file holds ('billion laughs') are refused, not expanded")
    func k8sAliasBomb() {
        var text = "a: &a [test-only, test-only, test-only, test-only, test-only, test-only, test-only, test-only, test-only, test-only]\n"
        for (name, previous) in zip(["b", "c", "d", "e", "f", "g", "h", "i"], ["a", "b", "c", "d", "e", "f", "g", "h"]) {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "kind: Secret\n"
        let error = importError(text, .k8sSecret)
        #expect(error?.message.contains("aliases expand this document") == true, "\(String(describing: error))")
    }

    @Test("k8s: control characters are an error at their line")
    func k8sControlCharacters() {
        let error = importError(Self.head + "stringData:\n  token: test-only\u{7}\n", .k8sSecret)
        #expect(error?.line == 5, "\(String(describing: error))")
        #expect(error?.message.contains("control characters") == true)
    }
}

extension InventoryImportKubernetesYAMLErrorTests {
    @Test("k8s: in a file with anchors, an alias in a mapping key (which Yams would hash whole, aliases expanded) is refused at its line")
    func k8sAliasKeys() throws {
        var bomb = "a: &a [test-only, test-only, test-only, test-only, test-only, test-only, test-only, test-only, test-only, test-only]\n"
        for (name, previous) in zip(["b", "c", "d", "e", "f", "g", "h", "i"], ["a", "b", "c", "d", "e", "f", "g", "h"]) {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        for (key, column) in [("*i : test-only\n", 1), ("{k: [*i]}: test-only\n", 9), ("? *i\n: test-only\n", 1), ("- ? x\n", 1)] {
            let error = importError(bomb + key + "kind: Secret\n", .k8sSecret)
            #expect(error?.line == 10 && error?.column == column, "\(key): \(String(describing: error))")
            #expect(error?.message.contains("in a mapping key is not supported") == true)
        }
        // Aliases as values still read; glob-like text in a block scalar reads in a file without
        // anchors (the line check is conservative: with anchors it would refuse `*prod:` too).
        let anchored = Self.head + "stringData:\n  a: &t test-only-anchored\n  b: *t\n"
        #expect(try parse(anchored, .k8sSecret).map(\.value) == ["test-only-anchored", "test-only-anchored"])
        let globs = Self.head + "stringData:\n  rules: |\n    *prod: allow\n"
        #expect(try parse(globs, .k8sSecret).map(\.value) == ["*prod: allow\n"])
    }
}
