import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…", "AKIAEXAMPLEFAKE00000"); none is key material.
@Suite("Inventory import parsers: Kubernetes Secret YAML")
struct InventoryImportKubernetesYAMLTests: InventoryImportTesting {
    // MARK: - Kubernetes Secret, YAML

    @Test("k8s: data is base64-decoded, stringData taken as is; names are namespace/name:section.key")
    func k8sBasic() throws {
        let text = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: stripe-keys
          namespace: payments
        type: Opaque
        data:
          api-key: dGVzdC1vbmx5LXZhbHVlLTEyMw==
          other: \(base64("test-only-other"))
        stringData:
          webhook-secret: test-only-webhook
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "payments/stripe-keys:data.api-key", value: "test-only-value-123", line: 8),
            ImportedValue(name: "payments/stripe-keys:data.other", value: "test-only-other", line: 9),
            ImportedValue(name: "payments/stripe-keys:stringData.webhook-secret", value: "test-only-webhook", line: 11),
        ])
    }

    @Test("k8s: the namespace defaults to 'default'; stringData before data keeps file order")
    func k8sDefaultNamespaceAndOrder() throws {
        let text = """
        kind: Secret
        apiVersion: v1
        stringData:
          first: test-only-first
        metadata:
          name: app
        data:
          second: \(base64("test-only-second"))
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/app:stringData.first", value: "test-only-first", line: 4),
            ImportedValue(name: "default/app:data.second", value: "test-only-second", line: 8),
        ])
    }

    @Test("k8s: multi-document YAML; the ConfigMap and other kinds are skipped")
    func k8sMultiDocument() throws {
        let text = """
        --- # first document
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          not-a-secret: plain-config-value
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: one
          namespace: a
        stringData:
          token: test-only-one
        ---

        # an empty document
        ---
        kind: Secret
        metadata:
          name: two
        data:
          token: \(base64("test-only-two"))
        ...
        ---
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 2
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "a/one:stringData.token", value: "test-only-one", line: 15),
            ImportedValue(name: "default/two:data.token", value: "test-only-two", line: 24),
        ])
    }

    @Test("k8s: quoted scalars; '#' inside quotes is not a comment; comments elsewhere are")
    func k8sQuotedAndComments() throws {
        let text = #"""
        # leading comment
        kind: "Secret"   # trailing comment
        metadata:
          name: 'quoted-name'
          # comment inside a mapping
        data:
          double: "\#(base64("test-only-double"))"
          single: '\#(base64("test-only-single"))'   # note
        stringData:
          hash-double: "test-only # not a comment"
          hash-single: 'it''s test-only # not a comment'
          hash-plain: test-only#no-space-so-kept # a comment
          escapes: "tab\there\nline \u0041\x42 \"q\" \\ \/"
          colon-no-space: http://test-only.example:8080/path
        """#
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/quoted-name:data.double", value: "test-only-double", line: 7),
            ImportedValue(name: "default/quoted-name:data.single", value: "test-only-single", line: 8),
            ImportedValue(name: "default/quoted-name:stringData.hash-double", value: "test-only # not a comment", line: 10),
            ImportedValue(name: "default/quoted-name:stringData.hash-single", value: "it's test-only # not a comment", line: 11),
            ImportedValue(name: "default/quoted-name:stringData.hash-plain", value: "test-only#no-space-so-kept", line: 12),
            ImportedValue(name: "default/quoted-name:stringData.escapes", value: "tab\there\nline AB \"q\" \\ /", line: 13),
            ImportedValue(name: "default/quoted-name:stringData.colon-no-space", value: "http://test-only.example:8080/path", line: 14),
        ])
    }

    @Test("k8s: literal and folded block scalars with chomping indicators")
    func k8sBlockScalars() throws {
        let text = """
        kind: Secret
        metadata:
          name: blocks
        stringData:
          literal: |
            test-only-line-1
              indented
            # not a comment
          literal-strip: |-
            test-only-strip
          folded: >
            test-only folded
            continues here

            new paragraph
              more indented
            back
          folded-strip: >-
            test-only a
            b
          keep: |+
            test-only-keep

          explicit: |2
              test-only-two-extra
          header-comment: |  # a comment on the header
            test-only-after-header
          last: test-only-last
        """
        let values = try parse(text, .k8sSecret)
        #expect(values.map(\.value) == [
            "test-only-line-1\n  indented\n# not a comment\n",
            "test-only-strip",
            "test-only folded continues here\nnew paragraph\n  more indented\nback\n",
            "test-only a b",
            "test-only-keep\n\n",
            "  test-only-two-extra\n",
            "test-only-after-header\n",
            "test-only-last",
        ])
        #expect(values.map(\.line) == [5, 9, 11, 18, 21, 24, 26, 28])
    }

    @Test("k8s: a block scalar at the end of the input, and a block scalar under data")
    func k8sBlockScalarAtEnd() throws {
        let text = """
        kind: Secret
        metadata:
          name: tail
        data:
          wrapped: >-
            \(base64("test-only-folded-base64"))
        stringData:
          cert: |
            test-only-1
            test-only-2
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/tail:data.wrapped", value: "test-only-folded-base64", line: 5),
            // YAML's clip chomping keeps the final line break only if the input has one: here the
            // input ends right after the last line (the hand-written reader added a break).
            ImportedValue(name: "default/tail:stringData.cert", value: "test-only-1\ntest-only-2", line: 8),
        ])
    }

    @Test("k8s: multi-line plain and quoted scalars are folded")
    func k8sMultilineFlowScalars() throws {
        let text = #"""
        kind: Secret
        metadata:
          name: folding
        stringData:
          plain: test-only first
            second part

            third
          double: "test-only one
            two \
            three"
          single: 'test-only x
            y'
          below:
            test-only-on-its-own-line
        """#
        #expect(try parse(text, .k8sSecret).map(\.value) == [
            "test-only first second part\nthird",
            "test-only one two three",
            "test-only x y",
            "test-only-on-its-own-line",
        ])
    }

    @Test("k8s: labels, annotations, lists and flow collections under keys not needed are skipped")
    func k8sIgnoredStructure() throws {
        let text = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: kubectl-output
          namespace: prod
          labels:
            app.kubernetes.io/name: web
            tier: "backend"
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: |
              {"apiVersion":"v1","kind":"Secret"}
            note: >-
              folded
              note
          ownerReferences:
          - apiVersion: apps/v1
            kind: Deployment
            name: web
            blockOwnerDeletion: true
          - name: other
          finalizers: [test.example/one, test.example/two]
          managedFields:
            - manager: kubectl
              fieldsV1:
                f:data:
                  .: {}
                  f:token: {}
            - - nested
              - list
        immutable: true
        data:
          token: \(base64("test-only-token"))
        stringData: {}
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "prod/kubectl-output:data.token", value: "test-only-token", line: 32),
        ])
    }

    @Test("k8s: quoted keys, comments after keys, and a document indented as a whole")
    func k8sQuotedKeys() throws {
        let text = """
          kind: Secret
          metadata:   # the object's identity
            name: indented
          stringData:
            "quoted.key": test-only-double-key
            'single key': test-only-single-key
            plain: test-only-plain
              # a more-indented comment ends the plain value
            after: test-only-after
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/indented:stringData.quoted.key", value: "test-only-double-key", line: 5),
            ImportedValue(name: "default/indented:stringData.single key", value: "test-only-single-key", line: 6),
            ImportedValue(name: "default/indented:stringData.plain", value: "test-only-plain", line: 7),
            ImportedValue(name: "default/indented:stringData.after", value: "test-only-after", line: 9),
        ])
    }

    @Test("k8s: null, empty and binary values are skipped; empty maps are fine")
    func k8sSkippedValues() throws {
        let text = """
        kind: Secret
        metadata:
          name: sparse
          labels: {}
        data:
          empty: ""
          tilde: ~
          binary: //79
          nothing:
          real: \(base64("test-only-real"))
        stringData:
          null-value: null
          quoted-null: "null"
        """
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/sparse:data.real", value: "test-only-real", line: 10),
            ImportedValue(name: "default/sparse:stringData.quoted-null", value: "null", line: 13),
        ])
        #expect(try parse("kind: Secret\nmetadata:\n  name: nothing\ndata:\nstringData: {}\n", .k8sSecret).isEmpty)
    }

    @Test("k8s: CRLF line endings and a byte-order mark are accepted")
    func k8sCRLF() throws {
        let text = "\u{FEFF}kind: Secret\r\nmetadata:\r\n  name: crlf\r\nstringData:\r\n  token: test-only-crlf\r\n  block: |\r\n    test-only-block\r\n"
        #expect(try parse(text, .k8sSecret) == [
            ImportedValue(name: "default/crlf:stringData.token", value: "test-only-crlf", line: 5),
            ImportedValue(name: "default/crlf:stringData.block", value: "test-only-block\n", line: 6),
        ])
    }

    @Test("k8s: YAML that holds no Secret yields nothing")
    func k8sNoSecret() throws {
        #expect(try parse("kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n", .k8sSecret).isEmpty)
        #expect(try parse("# only comments\n---\n", .k8sSecret).isEmpty)
        #expect(try parse("- a\n- b\n", .k8sSecret).isEmpty)
    }
}
