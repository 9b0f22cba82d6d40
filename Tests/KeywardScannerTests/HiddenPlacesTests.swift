import Foundation
import KeywardCore
import KeywardScanner
import KeywardTesting
import Testing

/// Secrets that the plain text hides: URL-encoded values (`PercentRuns`) and Jupyter notebooks
/// (`Notebook`), with the finding's span mapped back to the bytes in the input.
@Suite("Hidden places: URL-encoded text and notebooks")
struct HiddenPlacesTests {
    static func githubToken(_ rng: inout SeededRandom) -> String {
        let body = Base62.random(count: 30, using: &rng)
        return "ghp_" + String(decoding: body + Base62.encode(CRC32.checksum(body), width: 6), as: UTF8.self)
    }

    static func percentEncoded(_ s: String, all: Bool = false) -> String {
        s.utf8.map { b in
            let safe = (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x5F
            return safe && !all ? String(UnicodeScalar(b)) : String(format: "%%%02X", b)
        }.joined()
    }

    @Test("the run finder: escapes found with their URL neighbourhood, a bare % or broken escape is not a run, decoding maps offsets back")
    func runs() {
        func runs(_ s: String) -> [String] {
            let b = Array(s.utf8)
            return b.withUnsafeBytes { raw in PercentRuns.find(in: raw).map { String(decoding: b[$0], as: UTF8.self) } }
        }
        #expect(runs("GET /cb?state=x&token%3Dabc HTTP/1.1") == ["/cb?state=x&token%3Dabc"])
        #expect(runs("100% sure, 50%off, %zz") == [])
        #expect(runs("a%2Fb c%3Dd") == ["a%2Fb", "c%3Dd"])
        let run = Array("p%40ss%21".utf8)
        let (bytes, offsets) = run.withUnsafeBytes { PercentRuns.decode($0) }
        #expect(String(decoding: bytes, as: UTF8.self) == "p@ss!")
        #expect(offsets == [0, 1, 4, 5, 6, 9])
    }

    @Test("a token inside URL-encoded text is found with its encoded span; one in plain text is reported once, as before")
    func urlEncoded() async throws {
        let scanner = await RuleExamplesTests.built()
        let worker = try scanner.makeWorker()
        var rng = SeededRandom()
        func scan(_ text: String) throws -> [(id: String, span: String, decoded: String?)] {
            let b = Array(text.utf8)
            return try b.withUnsafeBytes { try scanner.scan($0, worker: worker) }.map {
                (scanner.rules[$0.rule].id, String(decoding: b[$0.secretFrom..<$0.secretTo], as: UTF8.self), $0.decoded.map { String(decoding: $0, as: UTF8.self) })
            }
        }
        let token = Self.githubToken(&rng)
        // Every byte of the token escaped (a client that encodes everything): only the decoded text shows it.
        let hidden = try scan("127.0.0.1 - - \"POST /login?next=%2Fhome&access_token=\(Self.percentEncoded(token, all: true)) HTTP/1.1\" 302\n")
        #expect(hidden.count == 1)
        #expect(hidden.first?.id.hasPrefix("github.") == true, "\(hidden.map(\.id))")
        #expect(hidden.first?.span == Self.percentEncoded(token, all: true))
        #expect(hidden.first?.decoded == token)
        // The token in clear inside an encoded query: one finding, the plain span, nothing decoded.
        let plain = try scan("redirect=https%3A%2F%2Fapp.example.com%2Fcb%3Ftoken%3D\(token)%26x%3D1\n")
        #expect(plain.count == 1)
        #expect(plain.first?.span == token)
        #expect(plain.first?.decoded == nil)
        // A password whose context (the key name and the URI) only shows decoded.
        let uri = try scan("DATABASE=postgres%3A%2F%2Fbilling%3Aq7Vd2Lx9Rt4Zp8Wm%40db.internal%3A5432%2Fbilling\n")
        #expect(!uri.isEmpty, "an encoded connection string's password is found")
        #expect(uri.allSatisfy { !$0.span.contains("%3A") })
        // Encoded text with no secret stays quiet.
        #expect(try scan("q=what%20is%20a%20token%3F&lang=en-US&page=2\n").isEmpty)
    }

    @Test("a notebook's cells and outputs are read decoded: a PEM key across a cell's lines and a key in an escaped string are found on their file lines")
    func notebook() throws {
        var rng = SeededRandom()
        let token = Self.githubToken(&rng)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let body = (0..<12).map { _ in String((0..<64).map { _ in alphabet.randomElement(using: &rng)! }) }
        let pemLines = ["-----BEGIN RSA PRIVATE KEY-----"] + body + ["-----END RSA PRIVATE KEY-----"]
        let notebook: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5, "metadata": [:],
            "cells": [
                ["cell_type": "markdown", "metadata": [:], "source": ["# Analysis\n", "Loads the data.\n"]],
                ["cell_type": "code", "metadata": [:], "execution_count": 1,
                 "source": ["import requests\n", "headers = {\"Authorization\": \"token \(token)\"}\n"],
                 "outputs": [["output_type": "stream", "name": "stdout", "text": ["ok\n"]]]],
                ["cell_type": "code", "metadata": [:], "execution_count": 2,
                 "source": ["key = \"\"\"\n"] + pemLines.map { $0 + "\n" } + ["\"\"\"\n"], "outputs": []],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let bytes = Array(data)
        let parts = try #require(Notebook.parts(of: bytes))
        #expect(parts.count == 4)
        let fileLines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for part in parts {
            // Each part's first line is the file line holding its first element.
            let first = String(decoding: part.text, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            let jsonFirst = first.replacingOccurrences(of: "\"", with: "\\\"")
            #expect(fileLines[part.firstLine - 1].contains(jsonFirst), "\(first)")
        }
        let pemPart = try #require(parts.first { String(decoding: $0.text, as: UTF8.self).contains("BEGIN RSA") })
        #expect(String(decoding: pemPart.text, as: UTF8.self).contains(pemLines.joined(separator: "\n")))
        #expect(Notebook.parts(of: Array(#"{"not": "a notebook"}"#.utf8)) == nil)
        #expect(Notebook.parts(of: Array("not json".utf8)) == nil)
    }
}
