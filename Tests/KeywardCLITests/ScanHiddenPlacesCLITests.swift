import Foundation
import KeywardCore
import KeywardTesting
import Testing

/// `keyward scan` on a Jupyter notebook and a URL-encoded log, as a user runs it.
@Suite("keyward scan: notebooks and URL-encoded text")
struct ScanHiddenPlacesCLITests {
    @Test("a notebook: a PEM key across a cell's lines is reported at its file line, a token in an escaped string once; an encoded token in a log is found")
    func notebookAndLog() async throws {
        let dir = try TempDirectory("keyward-hidden")
        defer { dir.remove() }
        var rng = SeededRandom()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let body = (0..<12).map { _ in String((0..<64).map { _ in alphabet.randomElement(using: &rng)! }) }
        let pem = ["-----BEGIN RSA PRIVATE KEY-----"] + body + ["-----END RSA PRIVATE KEY-----"]
        let token = ScanCLITests.githubToken()
        let notebook: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5, "metadata": [:],
            "cells": [
                ["cell_type": "code", "metadata": [:], "execution_count": 1, "outputs": [],
                 "source": ["import requests\n", "headers = {\"Authorization\": \"token \(token)\"}\n"]],
                ["cell_type": "code", "metadata": [:], "execution_count": 2, "outputs": [],
                 "source": ["key = \"\"\"\n"] + pem.map { $0 + "\n" } + ["\"\"\"\n"]],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: dir.file("analysis.ipynb")))
        let text = String(decoding: data, as: UTF8.self)
        let beginLine = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("BEGIN RSA") }) + 1

        let r = try await ScanCLITests.scan([dir.file("analysis.ipynb"), "--format", "json"], in: dir)
        #expect(r.status == 1, "\(r.stderr)")
        let found = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        let pemFinding = try #require(found.first { ($0["rule_id"] as? String)?.hasPrefix("private-key.") == true }, "\(found)")
        #expect(pemFinding["line"] as? Int == beginLine)
        #expect(found.filter { ($0["rule_id"] as? String)?.hasPrefix("github.") == true }.count == 1)
        #expect(!r.stdout.contains(token))

        // Every byte of the token percent-encoded in an access log.
        let encoded = token.utf8.map { String(format: "%%%02X", $0) }.joined()
        try ScanCLITests.write(dir.file("access.log"), "10.0.0.7 - - [05/Dec/2026:10:00:00 +0000] \"GET /hook?sig=\(encoded) HTTP/1.1\" 200 12\n")
        let log = try await ScanCLITests.scan([dir.file("access.log"), "--format", "json"], in: dir)
        #expect(log.status == 1, "\(log.stdout)")
        #expect(log.stdout.contains("github."))
        #expect(!log.stdout.contains(token) && !log.stdout.contains(encoded))
    }
}
