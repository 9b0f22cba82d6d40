import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…", "AKIAEXAMPLEFAKE00000"); none is key material.
/// The parsers' shared test helpers (each format's suite is in its own file).
protocol InventoryImportTesting {}

extension InventoryImportTesting {
    func parse(_ text: String, _ format: InventoryFormat) throws -> [ImportedValue] {
        try InventoryImport.parse(text, format: format)
    }

    func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    func importError(_ text: String, _ format: InventoryFormat) -> InventoryImportError? {
        #expect(throws: InventoryImportError.self) { try InventoryImport.parse(text, format: format) }
    }
}

@Suite("Inventory import parsers: shared rules")
struct InventoryImportTests: InventoryImportTesting {
    // MARK: - Shared

    @Test("format names are the origin strings the inventory stores")
    func formatNames() {
        #expect(InventoryFormat.allCases.map(\.rawValue) == ["dotenv", "k8s-secret", "aws-credentials"])
        #expect(InventoryFormat(rawValue: "k8s-secret") == .k8sSecret)
    }

    @Test("errors describe themselves as 'line N: message', or 'line N, column M: message' when they have a column")
    func errorDescription() {
        #expect("\(InventoryImportError(line: 7, message: "expected KEY=value"))" == "line 7: expected KEY=value")
        #expect("\(InventoryImportError(line: 7, column: 3, message: "found undefined alias"))" == "line 7, column 3: found undefined alias")
    }

    @Test("empty input yields nothing in every format", arguments: InventoryFormat.allCases)
    func emptyInput(format: InventoryFormat) throws {
        #expect(try parse("", format).isEmpty)
        #expect(try parse("\n\n  \n", format).isEmpty)
    }

    // MARK: - Secrecy of errors

    static let leakValue = "test-only-leak-value-999"

    @Test("error messages never contain the value", arguments: [
        ("test-only-leak-value-999\n", InventoryFormat.dotenv),
        ("KEY=\"test-only-leak-value-999\n", .dotenv),
        ("KEY='test-only-leak-value-999\n", .dotenv),
        ("KEY='test-only-leak-value-999'trailing\n", .dotenv),
        ("BAD KEY=test-only-leak-value-999\n", .dotenv),
        ("aws_secret_access_key = test-only-leak-value-999\n", .awsCredentials),
        ("[default]\ntest-only-leak-value-999\n", .awsCredentials),
        ("kind: Secret\nmetadata:\n  name: x\ndata:\n  k: test-only-leak-value-999\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: \"test-only-leak-value-999\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: test-only-leak-value-999: x\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: \"test-only-leak-value-999\\q\"\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: \"test-only-leak-value-999\" x\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n\tk: test-only-leak-value-999\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  test-only-leak-value-999\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: test-only-leak-value-999\n  k: again\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: !!binary test-only-leak-value-999\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: test-only-leak-value-999\u{7}\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData: {k: test-only-leak-value-999\n", .k8sSecret),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  k: |x test-only-leak-value-999\n", .k8sSecret),
        ("{\"kind\":\"Secret\",\"data\":{\"k\": test-only-leak-value-999}}", .k8sSecret),
        ("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"},\"data\":{\"k\":\"test-only-leak-value-999\"}}", .k8sSecret),
    ])
    func errorsDoNotLeak(text: String, format: InventoryFormat) {
        let value = Self.leakValue
        #expect(text.contains(value))
        do {
            _ = try InventoryImport.parse(text, format: format)
            Issue.record("expected an error")
        } catch {
            #expect(error is InventoryImportError)
            #expect(!"\(error)".contains(value))
            #expect(!String(reflecting: error).contains(value))
        }
    }
}
