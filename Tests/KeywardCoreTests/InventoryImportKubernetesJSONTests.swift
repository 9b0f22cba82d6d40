import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…", "AKIAEXAMPLEFAKE00000"); none is key material.
@Suite("Inventory import parsers: Kubernetes Secret JSON")
struct InventoryImportKubernetesJSONTests: InventoryImportTesting {
    // MARK: - Kubernetes Secret, JSON

    @Test("k8s JSON: a single Secret, in file order with line numbers")
    func k8sJSONSecret() throws {
        let text = """
        {
          "apiVersion": "v1",
          "kind": "Secret",
          "metadata": {
            "name": "stripe-keys",
            "namespace": "payments",
            "labels": {"app": "web"}
          },
          "stringData": {
            "zeta": "test-only-zeta"
          },
          "data": {
            "zulu": "\(base64("test-only-zulu"))",
            "api\\u002dkey": "dGVzdC1vbmx5LXZhbHVlLTEyMw==",
            "alpha": "\(base64("test-only-alpha"))",
            "none": null
          },
          "type": "Opaque"
        }
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "payments/stripe-keys:stringData.zeta", value: "test-only-zeta", line: 10),
            ImportedValue(name: "payments/stripe-keys:data.zulu", value: "test-only-zulu", line: 13),
            ImportedValue(name: "payments/stripe-keys:data.api-key", value: "test-only-value-123", line: 14),
            ImportedValue(name: "payments/stripe-keys:data.alpha", value: "test-only-alpha", line: 15),
        ])
    }

    @Test("k8s JSON: a List of Secrets (kubectl get -o json) skips other kinds")
    func k8sJSONList() throws {
        let text = """
          {"apiVersion": "v1", "kind": "List", "items": [
            {"kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "plain-config-value"}},
            {"kind": "Secret", "metadata": {"name": "first"}, "data": {"b": "\(base64("test-only-b"))", "a": "\(base64("test-only-a"))"}},
            {"kind": "Secret", "metadata": {"name": "second", "namespace": "ops"},
             "stringData": {"token": "test-only-token"}}
          ]}
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/first:data.b", value: "test-only-b", line: 3),
            ImportedValue(name: "default/first:data.a", value: "test-only-a", line: 3),
            ImportedValue(name: "ops/second:stringData.token", value: "test-only-token", line: 5),
        ])
    }

    @Test("k8s JSON: a SecretList's items may omit their kind; other JSON kinds yield nothing")
    func k8sJSONSecretList() throws {
        let text = #"{"kind":"SecretList","items":[{"metadata":{"name":"s"},"stringData":{"k":"test-only-k"}}]}"#
        #expect(try parse(text, .k8sSecret) == [ImportedValue(name: "default/s:stringData.k", value: "test-only-k", line: 1)])
        #expect(try parse(#"{"kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}}"#, .k8sSecret).isEmpty)
        #expect(try parse(#"{"kind":"List","items":[{"metadata":{"name":"s"},"stringData":{"k":"v"}}]}"#, .k8sSecret).isEmpty)
    }

    @Test("k8s JSON: malformed JSON and bad values are errors with a line")
    func k8sJSONErrors() {
        let invalid = importError("{\n  \"kind\": \"Secret\",\n  \"data\": {\"a\": test-only-bare}\n}", .k8sSecret)
        #expect(invalid?.message == "invalid JSON")
        #expect(invalid?.line == 3)
        #expect(importError("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"},\n\"data\":{\n\"k\":\"test-only-!!\"}}", .k8sSecret)
            == InventoryImportError(line: 3, message: "data.k is not valid base64"))
        #expect(importError("{\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"},\"data\":{\"k\":42}}", .k8sSecret)
            == InventoryImportError(line: 1, message: "data.k must be a string"))
        #expect(importError("{\"kind\":\"Secret\",\"metadata\":{}}", .k8sSecret)?.message == "Secret has no metadata.name")
    }
}
