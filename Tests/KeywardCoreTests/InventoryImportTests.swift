import Foundation
import KeywardCore
import Testing

// Every value below is synthetic ("test-only-…", "AKIAEXAMPLEFAKE00000"); none is key material.
@Suite("Inventory import parsers")
struct InventoryImportTests {
    func parse(_ text: String, _ format: InventoryFormat) throws -> [ImportedValue] {
        try InventoryImport.parse(text, format: format)
    }

    func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    func importError(_ text: String, _ format: InventoryFormat) -> InventoryImportError? {
        #expect(throws: InventoryImportError.self) { try InventoryImport.parse(text, format: format) }
    }

    // MARK: - Shared

    @Test("format names are the origin strings the inventory stores")
    func formatNames() {
        #expect(InventoryFormat.allCases.map(\.rawValue) == ["dotenv", "k8s-secret", "aws-credentials"])
        #expect(InventoryFormat(rawValue: "k8s-secret") == .k8sSecret)
    }

    @Test("errors describe themselves as 'line N: message'")
    func errorDescription() {
        #expect("\(InventoryImportError(line: 7, message: "expected KEY=value"))" == "line 7: expected KEY=value")
    }

    @Test("empty input yields nothing in every format", arguments: InventoryFormat.allCases)
    func emptyInput(format: InventoryFormat) throws {
        #expect(try parse("", format).isEmpty)
        #expect(try parse("\n\n  \n", format).isEmpty)
    }

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

    // MARK: - AWS credentials / config

    @Test("aws: credentials file with several profiles; only secret keys, in file order")
    func awsCredentials() throws {
        let text = """
        # AWS credentials
        [default]
        aws_access_key_id = AKIAEXAMPLEFAKE00000
        aws_secret_access_key=test-only-secret-default
        region = eu-west-1

        ; staging
        [staging]
        AWS_Access_Key_ID   =   AKIAEXAMPLEFAKE00001
        AWS_SECRET_ACCESS_KEY = test-only-secret-staging
        aws_session_token = test-only-session-token
        aws_security_token = test-only-security-token
        output = json
        """
        #expect(try parse(text, .awsCredentials) == [
            ImportedValue(name: "default:aws_access_key_id", value: "AKIAEXAMPLEFAKE00000", line: 3),
            ImportedValue(name: "default:aws_secret_access_key", value: "test-only-secret-default", line: 4),
            ImportedValue(name: "staging:aws_access_key_id", value: "AKIAEXAMPLEFAKE00001", line: 9),
            ImportedValue(name: "staging:aws_secret_access_key", value: "test-only-secret-staging", line: 10),
            ImportedValue(name: "staging:aws_session_token", value: "test-only-session-token", line: 11),
            ImportedValue(name: "staging:aws_security_token", value: "test-only-security-token", line: 12),
        ])
    }

    @Test("aws: config file with [profile name] sections; other keys and nested settings are skipped")
    func awsConfig() throws {
        let text = """
        [default]
        region = us-east-1
        [profile dev]
        role_arn = arn:aws:iam::000000000000:role/test-only
        source_profile = default
        aws_secret_access_key = test-only-dev-secret ; note
        s3 =
          max_concurrent_requests = 20
        [ profile   ops team ]
        aws_access_key_id = AKIAEXAMPLEFAKE00002 # inline note
        aws_session_token =
        [sso-session corp]
        sso_region = us-east-1
        """
        #expect(try parse(text, .awsCredentials) == [
            ImportedValue(name: "dev:aws_secret_access_key", value: "test-only-dev-secret", line: 6),
            ImportedValue(name: "ops team:aws_access_key_id", value: "AKIAEXAMPLEFAKE00002", line: 10),
        ])
    }

    @Test("aws: '#' or ';' without whitespace before it is part of the value")
    func awsHashInValue() throws {
        let text = "[default]\naws_secret_access_key = test-only#a;b\n"
        #expect(try parse(text, .awsCredentials) == [
            ImportedValue(name: "default:aws_secret_access_key", value: "test-only#a;b", line: 2),
        ])
    }

    @Test("aws: a key before any section is an error naming the key")
    func awsKeyOutsideSection() {
        let error = importError("# header\naws_access_key_id = AKIAEXAMPLEFAKE00000\n[default]\n", .awsCredentials)
        #expect(error == InventoryImportError(line: 2, message: "key 'aws_access_key_id' appears before any [section] header"))
    }

    @Test("aws: malformed lines are errors at their line", arguments: [
        "test-only-not-a-key-value-line",
        "[default",
        "[]",
        "[ ]",
        "= test-only-no-key",
        "aws_access_key_id: AKIAEXAMPLEFAKE00000",
    ])
    func awsMalformed(line: String) {
        let error = importError("[default]\naws_access_key_id = AKIAEXAMPLEFAKE00000\n\(line)\n", .awsCredentials)
        #expect(error?.line == 3)
    }

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
            ImportedValue(name: "default/tail:stringData.cert", value: "test-only-1\ntest-only-2\n", line: 8),
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

    @Test("k8s: invalid base64 is an error naming the key and its line")
    func k8sInvalidBase64() {
        let text = "kind: Secret\nmetadata:\n  name: bad\ndata:\n  ok: \(base64("test-only-ok"))\n  broken: test-only-not-base64!\n"
        #expect(importError(text, .k8sSecret) == InventoryImportError(line: 6, message: "data.broken is not valid base64"))
    }

    @Test("k8s: a tab in indentation is an error at its line")
    func k8sTabs() {
        let text = "kind: Secret\nmetadata:\n\tname: tabbed\n"
        #expect(importError(text, .k8sSecret)?.line == 3)
        #expect(importError(text, .k8sSecret)?.message.contains("tab") == true)
        let nested = "kind: Secret\nmetadata:\n  name: tabbed\nstringData:\n  \ttoken: test-only\n"
        #expect(importError(nested, .k8sSecret)?.line == 5)
    }

    @Test("k8s: a tab inside a block scalar's content is not indentation")
    func k8sTabInBlockScalar() throws {
        let text = "kind: Secret\nmetadata:\n  name: t\nstringData:\n  script: |\n    a\ttest-only\n"
        #expect(try parse(text, .k8sSecret).map(\.value) == ["a\ttest-only\n"])
    }

    @Test("k8s: structural errors are reported at their line", arguments: [
        // (document, expected line)
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: \"test-only-open\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: 'test-only-open\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: test-only\n  token: test-only-again\n", 6),
        ("kind: Secret\nmetadata:\n  name: x\n   namespace: bad-indent\n", 4),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  a: b: test-only\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: &anchor test-only\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: *alias\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: !!binary dGVzdA==\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: \"test-only\\q\"\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: \"test-only\" junk\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  token: |x\n    test-only\n", 5),
        ("kind: Secret\nmetadata:\n  name: x\nstringData:\n  not a mapping line\n", 4),
        ("kind: Secret\nmetadata:\n  name: x\nstringData: {a: test-only,\n  b: c}\n", 4),
        ("kind: Secret\nmetadata:\n  name: x\n? complex\n", 4),
        ("kind: Secret\nmetadata:\n  name: x\n--- !tagged\n", 4),
    ])
    func k8sStructuralErrors(text: String, line: Int) {
        #expect(importError(text, .k8sSecret)?.line == line)
    }

    @Test("k8s: a Secret must have metadata.name, and data/stringData must be maps of strings")
    func k8sShapeErrors() {
        #expect(importError("kind: Secret\nmetadata:\n  namespace: x\ndata:\n  a: \(base64("test-only"))\n", .k8sSecret)
            == InventoryImportError(line: 2, message: "Secret has no metadata.name"))
        #expect(importError("kind: Secret\ndata:\n  a: \(base64("test-only"))\n", .k8sSecret)
            == InventoryImportError(line: 1, message: "Secret has no metadata"))
        #expect(importError("kind: Secret\nmetadata:\n  name: x\ndata:\n  - test-only\n", .k8sSecret)
            == InventoryImportError(line: 4, message: "Secret data must be a mapping"))
        #expect(importError("kind: Secret\nmetadata:\n  name: x\nstringData: test-only\n", .k8sSecret)
            == InventoryImportError(line: 4, message: "Secret stringData must be a mapping"))
        #expect(importError("kind: Secret\nmetadata:\n  name: x\nstringData:\n  nested:\n    deeper: test-only\n", .k8sSecret)
            == InventoryImportError(line: 5, message: "stringData.nested must be a string"))
    }

    @Test("k8s: a YAML List is refused with a pointer to JSON rather than silently ignored")
    func k8sYAMLList() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  metadata:\n    name: x\n"
        #expect(importError(text, .k8sSecret)?.line == 2)
    }

    @Test("k8s: YAML that holds no Secret yields nothing")
    func k8sNoSecret() throws {
        #expect(try parse("kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n", .k8sSecret).isEmpty)
        #expect(try parse("# only comments\n---\n", .k8sSecret).isEmpty)
        #expect(try parse("- a\n- b\n", .k8sSecret).isEmpty)
    }

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
