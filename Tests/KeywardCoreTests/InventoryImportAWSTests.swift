import Foundation
import KeywardCore
import KeywardGovernance
import Testing

// Every value below is synthetic ("test-only-…", "AKIAEXAMPLEFAKE00000"); none is key material.
@Suite("Inventory import parsers: AWS credentials and config")
struct InventoryImportAWSTests: InventoryImportTesting {
    // MARK: - AWS credentials / config

    @Test("aws: credentials file with several profiles; every key with a value, in file order (the classifier skips region and output)")
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
            ImportedValue(name: "default:region", value: "eu-west-1", line: 5),
            ImportedValue(name: "staging:aws_access_key_id", value: "AKIAEXAMPLEFAKE00001", line: 9),
            ImportedValue(name: "staging:aws_secret_access_key", value: "test-only-secret-staging", line: 10),
            ImportedValue(name: "staging:aws_session_token", value: "test-only-session-token", line: 11),
            ImportedValue(name: "staging:aws_security_token", value: "test-only-security-token", line: 12),
            ImportedValue(name: "staging:output", value: "json", line: 13),
        ])
    }

    @Test("aws: config file with [profile name] sections; nested settings are read as keys; empty values are skipped")
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
            ImportedValue(name: "default:region", value: "us-east-1", line: 2),
            ImportedValue(name: "dev:role_arn", value: "arn:aws:iam::000000000000:role/test-only", line: 4),
            ImportedValue(name: "dev:source_profile", value: "default", line: 5),
            ImportedValue(name: "dev:aws_secret_access_key", value: "test-only-dev-secret", line: 6),
            ImportedValue(name: "dev:max_concurrent_requests", value: "20", line: 8),
            ImportedValue(name: "ops team:aws_access_key_id", value: "AKIAEXAMPLEFAKE00002", line: 10),
            ImportedValue(name: "sso-session corp:sso_region", value: "us-east-1", line: 13),
        ])
        #expect(try parse(text, .awsCredentials).map(\.key).contains("aws_secret_access_key"))
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
}
