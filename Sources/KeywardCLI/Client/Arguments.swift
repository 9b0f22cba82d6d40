import Foundation
import KeywardAPI
import KeywardCore

/// Checks of ids given on the command line, with messages in the CLI's terms (flags, not
/// wire fields) and the command that finds the right value.
enum Arg {
    /// `--rate-limit LIMIT/SECONDS[:BURST]`, e.g. 100/60 or 100/1:200.
    static func rateLimit(_ value: String) throws -> RateLimitDTO {
        guard let l = RateLimit(parsing: value) else {
            throw CLIExit.error("--rate-limit takes LIMIT/SECONDS[:BURST], e.g. 100/60 or 100/1:200 (limit and burst 1 to 1000000, seconds 1 to 86400)")
        }
        return RateLimitDTO(limit: l.limit, periodSeconds: l.periodSeconds, burst: l.burst)
    }

    /// An update's `--rate-limit`: a limit, or `policy` to go back to the policy's.
    static func rateLimitChange(_ value: String?) throws -> RateLimitChange? {
        guard let value else { return nil }
        return value == "policy" ? .remove : .set(try rateLimit(value))
    }

    /// How `show` prints a limit.
    static func describe(_ l: RateLimitDTO?) -> String {
        guard let l else { return "policy" }
        return "\(l.limit) per \(l.periodSeconds) s, burst \(l.burst ?? l.limit)"
    }

    static func identity(_ value: String, flag: String = "--identity") throws {
        guard IdentityID(value) == nil else { return }
        let name = looksLikeName(value) ? value : "NAME"
        throw CLIExit.error("\(flag) must be an identity id (idn_…); to find it by name: keyward identities list --name \(name)")
    }

    /// Echoed back only if it reads as a name (lowercase words, few digits): a value pasted in
    /// the wrong place may be a secret, which never goes into a message.
    static func looksLikeName(_ s: String) -> Bool {
        let u = s.utf8
        return (1...48).contains(u.count) && !s.hasPrefix("kw_")
            && u.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
            && u.filter { (0x30...0x39).contains($0) }.count <= 4
    }

    static func key(_ value: String, flag: String = "KEY-ID") throws {
        guard KeyID(value) == nil else { return }
        throw CLIExit.error("\(flag) must be a key id (key_…), not a key or a name; to find it: keyward keys list --identity idn_…")
    }

    static func consumer(_ value: String) throws {
        guard ConsumerID(value) == nil else { return }
        throw CLIExit.error("CONSUMER-ID must be a consumer id (csm_…); to find it: keyward consumers list")
    }

    static func credential(_ value: String) throws {
        guard CredentialID(value) == nil else { return }
        throw CLIExit.error("CREDENTIAL-ID must be a credential id (crd_…); to find it: keyward credentials list --identity idn_…")
    }

    static func webhook(_ value: String) throws {
        guard WebhookID(value) == nil else { return }
        throw CLIExit.error("WEBHOOK-ID must be a webhook id (whk_…); to find it: keyward webhooks list")
    }
}

/// A question before a change that cannot be undone, asked only when a person is at a
/// terminal; `--yes` (and any script, whose stdin is not a terminal) skips it.
enum Confirm {
    static func ask(_ question: String, yes: Bool) throws {
        guard !yes, isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return }
        FileHandle.standardError.write(Data("\(TerminalText.safe(question)) [y/N] ".utf8))
        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard answer == "y" || answer == "yes" else { throw CLIExit(2, "not confirmed; nothing was changed") }
    }
}
