import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…"); none is key material.
/// YAML the hand-written reader refused or misread and Yams reads as Kubernetes does.
@Suite("Inventory import parsers: Kubernetes Secret YAML read with Yams")
struct InventoryImportKubernetesYAMLFeatureTests: InventoryImportTesting {
    @Test("k8s: anchors and aliases; a merge key brings a mapping in, and keys written beside it win")
    func k8sAnchorsAliasesMerge() throws {
        let text = """
        kind: Secret
        metadata:
          name: anchored
        stringData:
          first: &shared test-only-shared
          again: *shared
          <<: &base
            from-base: test-only-base
            first: test-only-overridden
        ---
        kind: Secret
        metadata:
          name: merged
        common: &common
          from-common: test-only-common
        stringData:
          <<: [*common, {extra: test-only-extra}]
          own: test-only-own
        """
        // A merged entry keeps the line where it is written (under its anchor).
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/anchored:stringData.first", value: "test-only-shared", line: 5),
            ImportedValue(name: "default/anchored:stringData.again", value: "test-only-shared", line: 6),
            ImportedValue(name: "default/anchored:stringData.from-base", value: "test-only-base", line: 8),
            ImportedValue(name: "default/merged:stringData.from-common", value: "test-only-common", line: 15),
            ImportedValue(name: "default/merged:stringData.extra", value: "test-only-extra", line: 17),
            ImportedValue(name: "default/merged:stringData.own", value: "test-only-own", line: 18),
        ])
    }

    // A manifest whose first character is `{` is read as JSON (as before), so these start in block style.
    @Test("k8s: flow mappings, on one line or several, in file order by line and column")
    func k8sFlowMappings() throws {
        let text = """
        kind: Secret
        metadata: {name: flow, namespace: ops}
        stringData: {b: test-only-b, a: "test-only-a"}
        data: {
          c: \(base64("test-only-c"))
        }
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "ops/flow:stringData.b", value: "test-only-b", line: 3),
            ImportedValue(name: "ops/flow:stringData.a", value: "test-only-a", line: 3),
            ImportedValue(name: "ops/flow:data.c", value: "test-only-c", line: 5),
        ])
    }

    @Test("k8s: a YAML List (and a SecretList whose items omit kind) is read like the JSON one")
    func k8sYAMLList() throws {
        let text = """
        apiVersion: v1
        kind: List
        items:
        - kind: ConfigMap
          metadata: {name: settings}
          data: {a: plain-config-value}
        - kind: Secret
          metadata:
            name: listed
          stringData:
            token: test-only-listed
        ---
        kind: SecretList
        items:
          - metadata: {name: typed}
            data:
              key: \(base64("test-only-typed"))
          - {metadata: {}, stringData: {}}
        """
        #expect(throws: InventoryImportError(line: 18, column: 6, message: "Secret has no metadata.name")) { try parse(text, .k8sSecret) }
        let valid = text.replacingOccurrences(of: "  - {metadata: {}, stringData: {}}\n", with: "")
            .replacingOccurrences(of: "  - {metadata: {}, stringData: {}}", with: "")
        #expect(try parse(valid, .k8sSecret) == [
            ImportedValue(name: "default/listed:stringData.token", value: "test-only-listed", line: 11),
            ImportedValue(name: "default/typed:data.key", value: "test-only-typed", line: 17),
        ])
    }

    @Test("k8s: explicit '? ' keys, a tagged empty document and a tab inside a block scalar are plain YAML")
    func k8sLessCommonSyntax() throws {
        let text = "kind: Secret\nmetadata:\n  name: t\nstringData:\n  ? complex\n  : test-only-complex\n  script: |\n    a\ttest-only\n--- !tagged\n"
        #expect(try parse(text, .k8sSecret).map(\.value) == ["test-only-complex", "a\ttest-only\n"])
    }

    @Test("k8s: block scalars keep their text whatever the key's quoting; folded data is base64 after folding")
    func k8sBlockScalarsQuotedKeys() throws {
        let text = """
        kind: Secret
        metadata:
          name: blocks
        data:
          "tls.key": >-
            \(base64("test-only-folded-tls"))
        stringData:
          'config.yaml': |
            user: test-only-user
            password: "test-only-password"
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/blocks:data.tls.key", value: "test-only-folded-tls", line: 5),
            ImportedValue(name: "default/blocks:stringData.config.yaml", value: "user: test-only-user\npassword: \"test-only-password\"", line: 8),
        ])
    }
}
