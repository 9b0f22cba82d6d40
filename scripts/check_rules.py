#!/usr/bin/env python3
"""check_rules.py - validate Keyward's built-in secret-detection rules (the reference confirm stage).

    python3 scripts/check_rules.py [--rules DIR] [-v]

Loads every rules file in Sources/KeywardScanner/Resources/rules (one JSON file per category, each
{"rules": [...]}, plus the shared _filters.json), checks the schema, lints every pattern for the
portable regex subset, compiles every pattern with Python's `re` AND all of them together into one
Hyperscan multi-pattern database (PyPI `hyperscan`), then runs the same two-stage engine the Swift
scanner implements over every example: each example must yield a confirmed finding of its rule,
no negative example may yield a finding of any rule, and every private-key generator named in
`generated_examples` must produce keys (built here at run time with `cryptography`, never stored)
that the rule finds in several embeddings. Exit 0 when clean, 1 with a list of failures.
proto_scan.py imports `Engine` from here, so the prototype and the checker share one confirm stage.

How a finding is made (the Swift engine must reproduce this exactly)
====================================================================
0. Input framing. Each input (file, blob, stdin) is scanned as b"\\n" + content + b"\\n" (offsets
   reported back minus one). No pattern uses ^ or $: leading/trailing context is a delimiter
   character class, and the framing newlines make the start and end of the data look like a line
   break. Patterns are ASCII; scan bytes, not Unicode text.
1. Candidates. All patterns are compiled into one Hyperscan block-mode database without start of
   match (no HS_FLAG_SOM_LEFTMOST: with it, 1,000 rules took over a minute to compile; no
   HS_FLAG_UTF8: patterns are ASCII and inputs may be any bytes; no HS_FLAG_CASELESS: a pattern
   that wants it starts with (?i)). Every callback gives (rule, to). `from` is the start of the
   leftmost match of the rule that ends exactly at `to`, searched in the window before `to` as
   long as the rule's longest match (Hyperscan's max_width; Swift: `Confirmer.matchEndingAt`).
   (The Swift engine scans a rule with a `token` {alphabet, min_length} only inside runs of
   min_length or more alphabet characters, since such a pattern has no literal to anchor on; the
   claim is checked here.)
2. Captures. Hyperscan has no capture groups, so the rule's regex is run again over exactly
   [from, to) as a full match (Python: rx.fullmatch(data, from, to); ICU/NSRegularExpression: a
   region [from, to) with transparent bounds ON and anchoring bounds OFF, `matches`). The
   secret is capture group `secret_group` (0 = whole match). A candidate whose full match fails
   is dropped. Identical (rule, from, to) callbacks are processed once.
3. Filters on the secret (all rules, in this order; any hit drops the candidate):
   a. doc_examples: the secret CONTAINS any listed string (case-sensitive). These are published
      documentation examples (AWS's AKIAIOSFODNN7EXAMPLE, Stripe's sk_test_4eC39..., jwt.io's
      payload, Slack's T00000000 webhook, Azurite's dev storage key...).
   b. placeholder_patterns: regexes (Python `re` / ICU syntax, NOT Hyperscan; they may use + and
      *; (?i) where written) SEARCHED in the secret decoded as UTF-8 (invalid bytes replaced).
      They catch templating (${X}, {{ x }}, %(x)s, <YOUR_KEY>, $VAR), secret-store and
      environment references (vault:, arn:aws:, op://, os.environ, process.env), redaction runs
      (***, xxxxxx, ...), password hashes and digests ($2b$, $argon2id$, sha256:), and
      word-shaped values (your-api-key-here, camelCaseIdentifier, dotted.code.refs).
   c. placeholder_words: the secret is lower-cased and split on every non-alphanumeric ASCII
      character; if any resulting token EQUALS a listed word (changeme, dummy, your, here,
      password, ...), the candidate is dropped. The list avoids tokens that occur inside real
      vendor prefixes (secret, key, test, live, admin, pw ...).
   d. min_entropy (optional per rule): Shannon entropy in bits per byte over the secret's bytes,
      H = -sum(p_i * log2 p_i); the candidate is dropped when H < min_entropy.
   e. checksum (optional per rule), algorithms below; a failing checksum drops the candidate.
4. Fallback suppression. Rules whose provider is "generic" are fallbacks: a generic candidate
   that survived step 3 is dropped when any NON-generic candidate from step 2 (confirmed or not)
   has a secret span overlapping its secret span. So `GITHUB_TOKEN=ghp_<bad checksum>` is not
   re-reported by the generic token rule, and a confirmed Stripe key is reported once, as Stripe.
5. Overlap merge. Confirmed findings whose secret spans overlap are merged into one: keep the
   non-generic one, then one whose rule has a checksum, then the one with the longest whole
   match (to - from), then the rule that comes first in load order (files by name, rules in
   file order).
6. Confidence. Each finding carries one: the rule's `confidence` (default high), lowered to what
   the checksum says (only jwt does: alg "none" is low); a generic rule's finding is lowered to
   low when its secret is not clearly random (see `looks_random`: at least 16 bytes, entropy
   >= 3.5 bits/byte and three character classes of lower, upper, digit, other; or at least 24
   bytes, entropy >= 3.3 and two classes). The report leaves low out unless asked.
7. A finding reports rule id, provider, the secret's byte span and its 1-based line (the line
   where the secret starts: a PEM block is reported at its BEGIN line, and one finding covers the
   whole BEGIN...END block because the pattern spans it).
Rules with high_entropy=true may have the SHA-256 of the secret sent to a server; others
(passwords, generic assignments) only location + rule (see DESIGN.md).

Checksum algorithms (all public)
--------------------------------
github-crc32  GitHub tokens (ghp_/gho_/ghu_/ghs_, 2021 format; github.blog "Behind GitHub's new
              authentication token formats"): the token ends in 30 random base62 characters
              followed by 6 checksum characters. checksum = zlib.crc32(ASCII of the 30 random
              characters), written in base62 with alphabet 0-9A-Za-z, most significant digit
              first, left-padded with "0" to 6. Verify by decoding the last 6 characters as a
              base62 integer and comparing with the CRC (so padding is irrelevant).
npm-crc32     npm tokens (npm_ + 36, github.blog "Announcing npm's new access token format"):
              the same construction as github-crc32 over the 30 characters before the last 6.
keyward-crc32 Keyward keys kw_<env>_<32 base62><6 check> (DESIGN.md): CRC-32 of the ASCII of
              everything before the last 6 characters ("kw_live_" + random), base62 as above.
bech32        BIP-173 bech32 checksum over the whole secret lower-cased: human-readable part is
              everything before the last "1", data is the rest mapped through
              "qpzry9x8gf2tvdw0s3jn54khce6mua7l"; valid when polymod(hrp_expand + data) == 1.
              Used by age secret keys (AGE-SECRET-KEY-1...).
jwt           A compact JWS (RFC 7515 §7.1) header.payload.signature: the header is base64url (no padding)
              of a JSON object with a string "alg", the payload base64url of a JSON object, the
              signature base64url whose decoded length fits the alg (HS256/384/512: 32/48/64 bytes;
              ES256/384/512: 64/96/132; EdDSA: 64 or 114; RS*/PS*: 128 to 1024; "none": empty;
              any other alg: 16 to 1024). A token with alg "none" passes at LOW confidence.
base64-credentials  base64 (standard alphabet, padding optional) of "user:password" as in HTTP
              Basic (RFC 7617) and Docker's config.json "auth": decodes to bytes without control
              characters (none below 0x20, no 0x7F) with a
              ":" that has at least one character on each side.
base58check   Bitcoin Base58Check (alphabet 123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz):
              decode to bytes; the last 4 bytes must equal SHA256(SHA256(rest))[:4]. Used by WIF
              private keys and BIP-32 extended private keys (xprv/tprv).

Pattern subset (checked by lint_pattern): ASCII only; (?i) allowed only as the first four
characters; no other inline flags; no lookaround, atomic groups, backreferences, named groups or
possessive quantifiers; every quantifier bounded (no *, +, {n,}); no unescaped "." (write the
class you mean, e.g. [^\\n]); no ^ or $ outside classes; and the pattern must not END with a
variable-length repeat (Hyperscan reports a match at every possible end, so a trailing delimiter
class, \\b or a literal must pin the end).
"""

import argparse
import base64
import hashlib
import json
import math
import os
import re
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_RULES = HERE.parent / "Sources" / "KeywardScanner" / "Resources" / "rules"

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
CHECKSUMS = ("github-crc32", "npm-crc32", "keyward-crc32", "bech32", "base58check", "jwt", "base64-credentials")
GENERATORS = ("rsa-pkcs1", "rsa-pkcs8", "ec-sec1", "ec-pkcs8", "dsa", "ed25519-pkcs8", "openssh-ed25519",
              "openssh-rsa", "openssh-ecdsa", "encrypted-pkcs8", "encrypted-rsa-legacy", "pgp", "putty",
              "ssh2-encrypted", "openvpn-static", "gcp-service-account", "base64-pem", "openssh-encrypted",
              "putty-encrypted")
REQUIRED = {"id": str, "provider": str, "name": str, "pattern": str, "secret_group": int, "keywords": list,
            "high_entropy": bool, "revocation": str, "examples": list, "negative_examples": list}
OPTIONAL = {"min_entropy": (int, float), "checksum": str, "generated_examples": list, "token": dict, "confidence": str}
# How sure a confirmed finding of the rule is: "high" (the default: a vendor prefix, a checksum or a
# structure only that credential has), "medium" (a provider's name in the context and a secret of
# the right shape, no prefix), "low" (shape and context alone). The report leaves low out unless
# asked (`keyward scan --confidence low`).
CONFIDENCES = ("high", "medium", "low")


# ----------------------------------------------------------------------------------------------
# checksums and entropy
# ----------------------------------------------------------------------------------------------
def b62_decode(s):
    n = 0
    for ch in s:
        i = B62.find(ch)
        if i < 0:
            return None
        n = n * 62 + i
    return n


def crc_tail_ok(secret, random_part):
    want = b62_decode(secret[-6:])
    return want is not None and want == zlib.crc32(random_part.encode("ascii", "replace"))


def bech32_ok(secret):
    s = secret.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        return False
    hrp, data = s[:pos], s[pos + 1:]
    try:
        vals = [BECH32.index(c) for c in data]
    except ValueError:
        return False
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + vals:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk == 1


def base58check_ok(secret):
    n = 0
    for ch in secret:
        i = B58.find(ch)
        if i < 0:
            return False
        n = n * 58 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    raw = b"\x00" * (len(secret) - len(secret.lstrip("1"))) + raw
    if len(raw) < 5:
        return False
    body, chk = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == chk


def b64url_json(part):
    """The JSON object a base64url segment (no padding) holds, or None."""
    if not part or len(part) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9_-]+", part):
        return None
    try:
        obj = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


JWT_SIG = {"HS256": (32, 32), "HS384": (48, 48), "HS512": (64, 64), "ES256": (64, 64), "ES256K": (64, 64),
           "ES384": (96, 96), "ES512": (132, 132), "none": (0, 0)}


def jwt_alg(secret):
    """The alg of a structurally valid compact JWS, or None."""
    parts = secret.split(".")
    if len(parts) != 3:
        return None
    head, body = b64url_json(parts[0]), b64url_json(parts[1])
    if head is None or body is None or not isinstance(head.get("alg"), str):
        return None
    sig = parts[2]
    if len(sig) % 4 == 1 or not re.fullmatch(r"[A-Za-z0-9_-]*", sig):
        return None
    n = len(sig) * 3 // 4
    alg = head["alg"]
    if alg in JWT_SIG:
        lo, hi = JWT_SIG[alg]
    elif alg == "EdDSA":
        lo, hi = (64, 64) if n == 64 else (114, 114)
    elif alg[:2] in ("RS", "PS"):
        lo, hi = 128, 1024
    else:
        lo, hi = 16, 1024
    return alg if lo <= n <= hi else None


def base64_credentials_ok(secret):
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", secret):
        return False
    body = secret.rstrip("=")
    if len(body) % 4 == 1:
        return False
    raw = base64.b64decode(body + "=" * (-len(body) % 4))
    if not raw or any(b < 0x20 or b == 0x7F for b in raw):
        return False
    i = raw.find(b":")
    return 0 < i < len(raw) - 1


def checksum_confidence(name, secret):
    """The most a checksum lets a finding claim (only jwt lowers it)."""
    if name == "jwt" and jwt_alg(secret) == "none":
        return "low"
    return "high"


def checksum_ok(name, secret):
    if name == "jwt":
        return jwt_alg(secret) is not None
    if name == "base64-credentials":
        return base64_credentials_ok(secret)
    if name in ("github-crc32", "npm-crc32"):
        return len(secret) >= 36 and crc_tail_ok(secret, secret[-36:-6])
    if name == "keyward-crc32":
        return len(secret) > 6 and crc_tail_ok(secret, secret[:-6])
    if name == "bech32":
        return bech32_ok(secret)
    if name == "base58check":
        return base58check_ok(secret)
    raise ValueError("unknown checksum %r" % name)


RANK = {"low": 0, "medium": 1, "high": 2}


def looks_random(secret):
    """A generic rule's secret that is clearly random (medium) rather than maybe a word (low)."""
    h = shannon(secret)
    classes = sum(1 for test in (bytes.islower, bytes.isupper, bytes.isdigit) if any(test(bytes([b])) for b in secret))
    classes += 1 if any(not (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) for b in secret) else 0
    return (len(secret) >= 16 and h >= 3.5 and classes >= 3) or (len(secret) >= 24 and h >= 3.3 and classes >= 2)


def finding_confidence(rule, secret):
    """Step 6: the confidence of a confirmed finding (secret: bytes)."""
    c = rule.d.get("confidence", "high")
    if rule.checksum:
        cap = checksum_confidence(rule.checksum, secret.decode("latin-1"))
        c = cap if RANK[cap] < RANK[c] else c
    if rule.generic and not looks_random(secret):
        c = "low"
    return c


def shannon(data):
    if not data:
        return 0.0
    counts = {}
    for b in data:
        counts[b] = counts.get(b, 0) + 1
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


# ----------------------------------------------------------------------------------------------
# pattern lint (the portable subset shared by Hyperscan, ICU and Python re)
# ----------------------------------------------------------------------------------------------
def lint_pattern(p):
    errs = []
    if not p.isascii():
        errs.append("non-ASCII pattern")
    i, n, depth_class = 0, len(p), False
    if p.startswith("(?i)"):
        i = 4
    while i < n:
        c = p[i]
        if c == "\\":
            nxt = p[i + 1] if i + 1 < n else ""
            if nxt.isdigit() and nxt != "0":
                errs.append("backreference \\%s" % nxt)
            if nxt in ("k", "g", "A", "Z", "z", "G"):
                errs.append("unsupported escape \\%s" % nxt)
            i += 2
            continue
        if depth_class:
            if c == "]":
                depth_class = False
            i += 1
            continue
        if c == "[":
            depth_class = True
            i += 1
            if i < n and p[i] == "^":
                i += 1
            if i < n and p[i] == "]":
                i += 1  # literal ] first in class
            continue
        if c == "(" and p[i + 1:i + 2] == "?":
            if p[i + 2:i + 3] != ":":
                errs.append("group syntax (?%s at %d (only (?: and a leading (?i) are allowed)" % (p[i + 2:i + 3], i))
        if c == ".":
            errs.append("unescaped '.' at %d (write the class you mean)" % i)
        if c in "^$":
            errs.append("anchor %r at %d" % (c, i))
        if c in "*+":
            errs.append("unbounded quantifier %r at %d" % (c, i))
        if c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", p[i:])
            if m:
                if m.group(2) and not m.group(3):
                    errs.append("unbounded quantifier %s at %d" % (m.group(0), i))
                end = i + len(m.group(0))
                if end < n and p[end] == "+":
                    errs.append("possessive quantifier at %d" % i)
        if c == "?" and i + 1 < n and p[i + 1] == "+":
            errs.append("possessive quantifier at %d" % i)
        i += 1
    tail = p.rstrip(")")
    m = re.search(r"(\{(\d+),(\d+)\}|\?)$", tail)
    if m and (m.group(1) == "?" or m.group(2) != m.group(3)) and not tail.endswith("\\?"):
        errs.append("pattern ends with a variable-length repeat (Hyperscan reports every end): add a trailing delimiter")
    return errs


# ----------------------------------------------------------------------------------------------
# entropy floor sanity: sample random strings of a rule's own secret format
# ----------------------------------------------------------------------------------------------
PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]


_CLASS_CACHE = {}


def _class_chars(items):
    # Memoised by the parsed class's repr: sampling asks for the same class once per character.
    key = repr(items)
    hit = _CLASS_CACHE.get(key)
    if hit is None:
        hit = _CLASS_CACHE[key] = _class_chars_uncached(items)
    return hit


def _class_chars_uncached(items):
    import re._constants as C  # noqa: PLC0415
    neg, chars = False, set()
    for op, av in items:
        if op is C.NEGATE:
            neg = True
        elif op is C.LITERAL:
            chars.add(chr(av))
        elif op is C.RANGE:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is C.CATEGORY:
            name = str(av)
            if "DIGIT" in name:
                cs = set("0123456789")
            elif "WORD" in name:
                cs = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
            else:
                cs = set(" \t\n\r\x0b\x0c")
            chars.update(set(PRINTABLE) - cs if "NOT" in name else cs)
    if neg:
        chars = set(PRINTABLE) - chars
    return sorted(chars) or ["x"]


def _sample(tree, rnd, out):
    import re._constants as C  # noqa: PLC0415
    for op, av in tree:
        if op is C.LITERAL:
            out.append(chr(av))
        elif op is C.NOT_LITERAL:
            out.append(rnd.choice([c for c in PRINTABLE if ord(c) != av]))
        elif op is C.ANY:
            out.append(rnd.choice(PRINTABLE))
        elif op is C.IN:
            out.append(rnd.choice(_class_chars(av)))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            for _ in range(lo):  # the shortest form is the worst case for entropy
                _sample(sub, rnd, out)
        elif op is C.SUBPATTERN:
            _sample(av[3], rnd, out)
        elif op is C.BRANCH:
            _sample(rnd.choice(av[1]), rnd, out)


def _find_group(tree, gid):
    import re._constants as C  # noqa: PLC0415
    for op, av in tree:
        if op is C.SUBPATTERN:
            if av[0] == gid:
                return av[3]
            found = _find_group(av[3], gid)
            if found is not None:
                return found
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            found = _find_group(av[2], gid)
            if found is not None:
                return found
        elif op is C.BRANCH:
            for alt in av[1]:
                found = _find_group(alt, gid)
                if found is not None:
                    return found
    return None


def token_claim_errors(pattern, token, n=300, seed=11):
    """A token rule's claim: every match is a run of at least min_length characters of its
    alphabet, give or take one other character at each end (a delimiter), so that the run plus
    one byte each side holds the whole match. Checked on n random matches of the pattern's
    shortest form, and on every example's match."""
    import random  # noqa: PLC0415
    import re._parser as P  # noqa: PLC0415
    alphabet, need = set(token["alphabet"]), token["min_length"]

    def holds(text):
        if text and text[0] not in alphabet:
            text = text[1:]
        if text and text[-1] not in alphabet:
            text = text[:-1]
        return len(text) >= need and all(ch in alphabet for ch in text)
    tree = P.parse(pattern)
    rnd = random.Random(seed)
    for _ in range(n):
        out = []
        _sample(tree, rnd, out)
        if not holds("".join(out)):
            return ["token: a match of this pattern (%r) is not a run of %d or more alphabet characters "
                    "with at most one other character at each end" % ("".join(out), need)]
    return []


def random_secret_entropy_floor(pattern, group, n=1000, seed=7):
    """Smallest entropy among n random secrets of the rule's own format (about the 0.1% quantile)."""
    import random  # noqa: PLC0415
    import re._parser as P  # noqa: PLC0415
    tree = P.parse(pattern)
    sub = tree if group == 0 else _find_group(tree, group)
    if sub is None:
        return None
    rnd = random.Random(seed)
    lows = []
    for _ in range(n):
        out = []
        _sample(sub, rnd, out)
        lows.append(shannon("".join(out).encode("latin-1", "replace")))
    return min(lows)


# ----------------------------------------------------------------------------------------------
# rules and filters
# ----------------------------------------------------------------------------------------------
class Rule:
    def __init__(self, d, category, order):
        self.d = d
        self.category = category
        self.order = order
        self.id = d.get("id")
        self.provider = d.get("provider")
        self.pattern = d.get("pattern", "")
        self.group = d.get("secret_group", 0)
        self.keywords = d.get("keywords", [])
        self.min_entropy = d.get("min_entropy")
        self.checksum = d.get("checksum")
        self.generic = self.provider == "generic"
        self.rx = None
        self.rx_end = None  # the pattern ending at the end of the search (step 1)
        self.width = None  # its longest match, capped at 65,536 bytes (step 1)


def load_rules(rules_dir):
    rules, filters, errors = [], None, []
    files = sorted(Path(rules_dir).glob("*.json"))
    if not files:
        errors.append("no rule files in %s" % rules_dir)
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except Exception as e:  # noqa: BLE001 - report any parse problem
            errors.append("%s: invalid JSON: %s" % (f.name, e))
            continue
        if f.name == "_filters.json":
            filters = data
            continue
        if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], list):
            errors.append('%s: top level must be {"rules": [...]}' % f.name)
            continue
        for d in data["rules"]:
            rules.append(Rule(d, f.stem, len(rules)))
    if filters is None:
        errors.append("_filters.json missing")
        filters = {"doc_examples": [], "placeholder_patterns": [], "placeholder_words": []}
    return rules, filters, errors


class Filters:
    def __init__(self, d):
        self.doc = [s.encode() for s in d.get("doc_examples", [])]
        self.patterns = [(p, re.compile(p)) for p in d.get("placeholder_patterns", [])]
        self.words = set(w.lower() for w in d.get("placeholder_words", []))
        self.split = re.compile(r"[^a-z0-9]+")

    def reason(self, secret):
        """Why a secret (bytes) is not a real credential, or None."""
        for s in self.doc:
            if s in secret:
                return "doc-example"
        text = secret.decode("utf-8", "replace")
        for src, rx in self.patterns:
            if rx.search(text):
                return "placeholder-pattern " + src
        for tok in self.split.split(text.lower()):
            if tok in self.words:
                return "placeholder-word " + tok
        return None


def rule_schema_errors(r, seen_ids):
    errs = []
    d = r.d
    if not isinstance(d, dict):
        return ["rule is not an object"]
    for k, t in REQUIRED.items():
        if k not in d:
            errs.append("missing field %s" % k)
        elif not isinstance(d[k], t) or (t is int and isinstance(d[k], bool)):
            errs.append("field %s must be %s" % (k, t.__name__))
    for k, t in OPTIONAL.items():
        if k in d and not isinstance(d[k], t):
            errs.append("field %s has the wrong type" % k)
    unknown = set(d) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        errs.append("unknown fields %s" % sorted(unknown))
    if errs:
        return errs
    if not re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", r.id):
        errs.append("id must be lower-case [a-z0-9.-]")
    if not re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", r.provider):
        errs.append("provider must be lower-case [a-z0-9.-]")
    if not r.id.startswith(r.provider + "."):
        errs.append("id must start with provider + '.'")
    if r.id in seen_ids:
        errs.append("duplicate id")
    seen_ids.add(r.id)
    if not d["name"].strip() or not d["revocation"].strip():
        errs.append("name and revocation must be non-empty")
    if not d["keywords"] or any(not isinstance(k, str) or not k or k != k.lower() for k in d["keywords"]):
        errs.append("keywords must be non-empty lower-case strings")
    if "token" in d:
        t = d["token"]
        if set(t) != {"alphabet", "min_length"} or not isinstance(t.get("alphabet"), str) or not t["alphabet"] \
                or not t["alphabet"].isascii() or not isinstance(t.get("min_length"), int) or t["min_length"] < 8 \
                or any(ch.isspace() for ch in t["alphabet"]):
            errs.append("token must be {alphabet: non-empty ASCII string without white space (the engine separates runs "
                        "with a newline), min_length: integer >= 8}")
    if "confidence" in d and d["confidence"] not in CONFIDENCES:
        errs.append("confidence must be one of %s" % ", ".join(CONFIDENCES))
    if "min_entropy" in d and not (0 < d["min_entropy"] <= 8):
        errs.append("min_entropy out of range")
    if "checksum" in d and d["checksum"] not in CHECKSUMS:
        errs.append("unknown checksum %r" % d["checksum"])
    gen = d.get("generated_examples", [])
    for g in gen:
        if g not in GENERATORS:
            errs.append("unknown generator %r" % g)
    if gen and r.provider != "private-key" and "PRIVATE KEY" not in r.pattern:
        errs.append("generated_examples are only for private-key rules")
    if not gen and len(d["examples"]) < 2:
        errs.append("needs at least 2 examples")
    if gen and d["examples"]:
        errs.append("private-key rules keep examples empty (material is generated)")
    if len(d["negative_examples"]) < 2:
        errs.append("needs at least 2 negative_examples")
    if not any(any(k in n.lower() for k in d["keywords"]) for n in d["negative_examples"]):
        errs.append("no negative example contains a keyword (needs a near miss)")
    return errs


# ----------------------------------------------------------------------------------------------
# the engine
# ----------------------------------------------------------------------------------------------
class Finding:
    __slots__ = ("rule", "start", "end", "mstart", "mend", "line", "secret", "confidence")

    def __init__(self, rule, start, end, mstart, mend, secret):
        self.rule, self.start, self.end, self.mstart, self.mend, self.secret = rule, start, end, mstart, mend, secret
        self.line = 0
        self.confidence = finding_confidence(rule, secret)

    def __repr__(self):
        return "Finding(%s, line %d, %s)" % (self.rule.id, self.line, self.confidence)


class Engine:
    """Hyperscan candidates + the confirm stage described in the module docstring."""

    def __init__(self, rules, filters):
        import hyperscan  # noqa: PLC0415 - optional for schema-only failures
        self.hs = hyperscan
        self.rules = rules
        self.filters = filters
        for r in rules:
            if r.rx is None:
                r.rx = re.compile(r.pattern.encode("ascii"))
        for r in rules:
            if r.rx_end is None:
                flag, body = ("(?i)", r.pattern[4:]) if r.pattern.startswith("(?i)") else ("", r.pattern)
                r.rx_end = re.compile((flag + "(?:" + body + ")\\Z").encode("ascii"))
                r.width = min(re._parser.parse(r.pattern).getwidth()[1], 65536)
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(expressions=[r.pattern.encode("ascii") for r in rules], ids=list(range(len(rules))),
                        elements=len(rules), flags=[0] * len(rules))
        self.scratch = hyperscan.Scratch(self.db)
        self.db.scratch = self.scratch

    def candidates(self, data):
        out = []

        def on_match(idx, frm, to, flags, ctx):
            out.append((idx, frm, to))
            return 0

        self.db.scan(data, match_event_handler=on_match, scratch=self.scratch)
        return out

    def confirm(self, rule, secret):
        """None when the secret passes, else the reason it was dropped."""
        why = self.filters.reason(secret)
        if why:
            return why
        if rule.min_entropy is not None and shannon(secret) < rule.min_entropy:
            return "entropy %.2f < %.2f" % (shannon(secret), rule.min_entropy)
        if rule.checksum and not checksum_ok(rule.checksum, secret.decode("latin-1")):
            return "checksum " + rule.checksum
        return None

    def scan(self, content, explain=None, before_merge=False):
        """Findings in `content` (bytes), offsets relative to content.

        before_merge=True returns every confirmed finding that survived fallback suppression
        (step 4) without the overlap merge of step 5 (the checker uses it for examples)."""
        data = b"\n" + content + b"\n"
        seen = set()
        specific_spans = []
        confirmed = []
        for idx, _, to in self.candidates(data):
            rule = self.rules[idx]
            found = rule.rx_end.search(data, max(0, to - rule.width), to)
            frm = found.start() if found else to
            if (idx, frm, to) in seen:
                continue
            seen.add((idx, frm, to))
            m = rule.rx.fullmatch(data, frm, to)
            if m is None:
                if explain is not None:
                    explain.append((rule.id, "no full match on [%d,%d)" % (frm, to)))
                continue
            s, e = m.span(rule.group)
            if s < 0 or e <= s:
                continue
            if not rule.generic:
                specific_spans.append((s, e))
            secret = data[s:e]
            why = self.confirm(rule, secret)
            if why:
                if explain is not None:
                    explain.append((rule.id, why))
                continue
            confirmed.append(Finding(rule, s, e, frm, to, secret))
        # 4. fallback suppression
        kept = []
        for f in confirmed:
            if f.rule.generic and any(a < f.end and f.start < b for a, b in specific_spans):
                if explain is not None:
                    explain.append((f.rule.id, "fallback suppressed by a specific rule"))
                continue
            kept.append(f)
        if before_merge:
            for f in kept:
                f.line = data.count(b"\n", 0, f.start)
                f.start -= 1
                f.end -= 1
            return kept
        # 5. overlap merge
        kept.sort(key=lambda f: (f.rule.generic, not f.rule.checksum, -(f.mend - f.mstart), f.rule.order))
        final = []
        for f in kept:
            if any(g.start < f.end and f.start < g.end for g in final):
                continue
            final.append(f)
        final.sort(key=lambda f: f.start)
        for f in final:
            f.line = data.count(b"\n", 0, f.start)  # the framing newline makes this 1-based
            f.start -= 1
            f.end -= 1
        return final


# ----------------------------------------------------------------------------------------------
# private-key generators (key material is made here at run time and never stored)
# ----------------------------------------------------------------------------------------------
def _pem_lines(label, der):
    b = base64.b64encode(der).decode()
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(b[i:i + 64] for i in range(0, len(b), 64)), label)


def _crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def generate(name):
    """One freshly generated key text for generator `name`."""
    from cryptography.hazmat.primitives import serialization as ser  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa  # noqa: PLC0415
    pem, raw = ser.Encoding.PEM, os.urandom
    none = ser.NoEncryption()
    if name == "rsa-pkcs1":
        return rsa.generate_private_key(65537, 2048).private_bytes(pem, ser.PrivateFormat.TraditionalOpenSSL, none).decode()
    if name == "rsa-pkcs8":
        return rsa.generate_private_key(65537, 2048).private_bytes(pem, ser.PrivateFormat.PKCS8, none).decode()
    if name == "ec-sec1":
        return ec.generate_private_key(ec.SECP256R1()).private_bytes(pem, ser.PrivateFormat.TraditionalOpenSSL, none).decode()
    if name == "ec-pkcs8":
        return ec.generate_private_key(ec.SECP384R1()).private_bytes(pem, ser.PrivateFormat.PKCS8, none).decode()
    if name == "dsa":
        return dsa.generate_private_key(2048).private_bytes(pem, ser.PrivateFormat.TraditionalOpenSSL, none).decode()
    if name == "ed25519-pkcs8":
        return ed25519.Ed25519PrivateKey.generate().private_bytes(pem, ser.PrivateFormat.PKCS8, none).decode()
    if name == "openssh-ed25519":
        return ed25519.Ed25519PrivateKey.generate().private_bytes(pem, ser.PrivateFormat.OpenSSH, none).decode()
    if name == "openssh-rsa":
        return rsa.generate_private_key(65537, 2048).private_bytes(pem, ser.PrivateFormat.OpenSSH, none).decode()
    if name == "openssh-ecdsa":
        return ec.generate_private_key(ec.SECP256R1()).private_bytes(pem, ser.PrivateFormat.OpenSSH, none).decode()
    if name == "encrypted-pkcs8":
        return rsa.generate_private_key(65537, 2048).private_bytes(
            pem, ser.PrivateFormat.PKCS8, ser.BestAvailableEncryption(raw(12).hex().encode())).decode()
    if name == "encrypted-rsa-legacy":
        return rsa.generate_private_key(65537, 2048).private_bytes(
            pem, ser.PrivateFormat.TraditionalOpenSSL, ser.BestAvailableEncryption(raw(12).hex().encode())).decode()
    if name == "pgp":
        # synthetic OpenPGP armor: a v4 secret-key packet header (tag 5, new format) over random bytes
        body = b"\xc5\xfd\x05\x80" + b"\x04" + raw(4) + b"\x16\x09\x2b\x06\x01\x04\x01\xda\x47\x0f\x01" + raw(600)
        b = base64.b64encode(body).decode()
        crc = base64.b64encode(_crc24(body).to_bytes(3, "big")).decode()
        return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: synthetic test key\n\n%s\n=%s\n"
                "-----END PGP PRIVATE KEY BLOCK-----\n" % ("\n".join(b[i:i + 64] for i in range(0, len(b), 64)), crc))
    if name == "putty":
        pub = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + raw(32)).decode()
        priv = base64.b64encode(b"\x00\x00\x00\x20" + raw(32)).decode()
        return ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@build-runner\n"
                "Public-Lines: 2\n%s\n%s\nPrivate-Lines: 1\n%s\nPrivate-MAC: %s\n" % (
                    pub[:64], pub[64:], priv, raw(32).hex()))
    if name == "openssh-encrypted":
        # synthetic openssh-key-v1 (PROTOCOL.key): cipher aes256-ctr, kdf bcrypt, an ed25519 public
        # key, and random bytes where the encrypted private section would be
        def sstr(b):
            return len(b).to_bytes(4, "big") + b
        pub = sstr(b"ssh-ed25519") + sstr(raw(32))
        body = (b"openssh-key-v1\x00" + sstr(b"aes256-ctr") + sstr(b"bcrypt") + sstr(sstr(raw(16)) + (24).to_bytes(4, "big"))
                + (1).to_bytes(4, "big") + sstr(pub) + sstr(raw(144)))
        b = base64.b64encode(body).decode()
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n"
                % "\n".join(b[i:i + 70] for i in range(0, len(b), 70)))
    if name == "putty-encrypted":
        pub = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + raw(32)).decode()
        priv = base64.b64encode(raw(48)).decode()
        return ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\nComment: ops@bastion\nPublic-Lines: 2\n%s\n%s\n"
                "Key-Derivation: Argon2id\nArgon2-Memory: 8192\nArgon2-Passes: 13\nArgon2-Parallelism: 1\nArgon2-Salt: %s\n"
                "Private-Lines: 1\n%s\nPrivate-MAC: %s\n" % (pub[:64], pub[64:], raw(16).hex(), priv, raw(32).hex()))
    if name == "ssh2-encrypted":
        b = base64.b64encode(b"\x3f\x6f\xf9\xeb" + raw(900)).decode()
        return ('---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "rsa-key-20240101"\n%s\n'
                "---- END SSH2 ENCRYPTED PRIVATE KEY ----\n" % "\n".join(b[i:i + 70] for i in range(0, len(b), 70)))
    if name == "openvpn-static":
        h = raw(256).hex()
        return ("#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\n%s\n"
                "-----END OpenVPN Static key V1-----\n" % "\n".join(h[i:i + 32] for i in range(0, len(h), 32)))
    if name == "gcp-service-account":
        key = generate("rsa-pkcs8")
        doc = {"type": "service_account", "project_id": "acme-billing-%d" % (100000 + raw(2)[0]),
               "private_key_id": raw(20).hex(), "private_key": key,
               "client_email": "deployer@acme-billing.iam.gserviceaccount.com", "client_id": str(10 ** 20 + raw(1)[0]),
               "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token"}
        return json.dumps(doc, indent=2) + "\n"
    if name == "base64-pem":
        key = generate(["rsa-pkcs1", "ec-sec1", "rsa-pkcs8"][raw(1)[0] % 3])
        return "  tls.key: %s\n" % base64.b64encode(key.encode()).decode()
    raise ValueError(name)


def embeddings(name, text):
    """The generated key as it appears in files: raw, and for PEM blocks inside code and config."""
    out = [("raw", text)]
    if name in ("gcp-service-account", "base64-pem", "putty", "putty-encrypted"):
        return out
    lines = text.rstrip("\n").split("\n")
    out.append(("python", 'SIGNING_KEY = """%s"""\n' % "\n".join(lines)))
    out.append(("yaml", "stringData:\n  tls.key: |\n" + "".join("    %s\n" % x for x in lines)))
    out.append(("json", '{"private_key": "%s"}\n' % "\\n".join(lines + [""])))
    out.append(("env", 'PRIVATE_KEY="%s"\n' % "\\n".join(lines + [""])))
    return out


def public_material():
    """Public keys and certificates: must never be findings."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization as ser  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415
    import datetime  # noqa: PLC0415
    k = rsa.generate_private_key(65537, 2048)
    pub = k.public_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keyward-test")])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(pub).serial_number(7)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30)).sign(k, hashes.SHA256()))
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    return [
        ("rsa-public-pem", pub.public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo).decode()),
        ("rsa-public-pkcs1", pub.public_bytes(ser.Encoding.PEM, ser.PublicFormat.PKCS1).decode()),
        ("certificate", cert.public_bytes(ser.Encoding.PEM).decode()),
        ("ssh-public-key", "ssh_authorized_key: " + ed.public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH).decode() + " ci@build\n"),
        ("ssh-rsa-public-key", pub.public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH).decode() + " deploy@host\n"),
    ]


# ----------------------------------------------------------------------------------------------
# the checks
# ----------------------------------------------------------------------------------------------
def run_checks(rules_dir, verbose=False):
    failures = []
    rules, fdata, errs = load_rules(rules_dir)
    failures += errs
    for k in ("doc_examples", "placeholder_patterns", "placeholder_words"):
        if not isinstance(fdata.get(k), list):
            failures.append("_filters.json: %s must be a list" % k)
    try:
        filters = Filters(fdata)
    except re.error as e:
        failures.append("_filters.json: bad placeholder pattern: %s" % e)
        return failures, rules
    seen = set()
    good = []
    for r in rules:
        e = rule_schema_errors(r, seen)
        e += ["pattern: " + x for x in lint_pattern(r.pattern)] if isinstance(r.pattern, str) else []
        if not e:
            try:
                r.rx = re.compile(r.pattern.encode("ascii"))
                if r.group > r.rx.groups:
                    e.append("secret_group %d > groups %d" % (r.group, r.rx.groups))
            except (re.error, UnicodeEncodeError) as ex:
                e.append("python re: %s" % ex)
        if not e and "token" in r.d:
            e += token_claim_errors(r.pattern, r.d["token"])
            for ex in r.d["examples"]:
                for m in r.rx.finditer(ex.encode()):
                    e += token_claim_errors(re.escape(m.group(0).decode()), r.d["token"], n=1)
        if not e and r.min_entropy is not None and r.d["high_entropy"]:
            floor = random_secret_entropy_floor(r.pattern, r.group)
            if floor is not None and r.min_entropy > floor:
                e.append("min_entropy %.2f rejects random secrets of this very format (floor of 1,000 samples: %.2f)" % (r.min_entropy, floor))
        if e:
            failures += ["%s (%s): %s" % (r.id, r.category, x) for x in e]
        else:
            good.append(r)
    import hyperscan  # noqa: PLC0415
    hs_ok = good
    try:  # one compile of them all; only when it fails, one per rule to name each culprit
        hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK).compile(
            expressions=[r.pattern.encode() for r in good], ids=list(range(len(good))), elements=len(good), flags=[0] * len(good))
    except Exception:  # noqa: BLE001 - hyperscan.error
        hs_ok = []
        for r in good:
            try:
                hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK).compile(expressions=[r.pattern.encode()], ids=[0], elements=1, flags=[0])
                hs_ok.append(r)
            except Exception as ex:  # noqa: BLE001
                failures.append("%s: hyperscan: %s" % (r.id, ex))
    for i, r in enumerate(hs_ok):
        r.order = i
    try:
        engine = Engine(hs_ok, filters)
    except Exception as ex:  # noqa: BLE001
        failures.append("hyperscan multi-pattern database: %s" % ex)
        return failures, rules
    for r in hs_ok:
        for ex in r.d["examples"]:
            found = engine.scan(ex.encode(), before_merge=True)
            mine = [f for f in found if f.rule is r]
            if not mine:
                why = []
                engine.scan(ex.encode(), explain=why)
                why = [w for w in why if w[0] == r.id] or why
                failures.append("%s: example not found: %r %s" % (r.id, ex[:120], why[:3] or "(no candidate)"))
                continue
            for f in mine:
                m = r.rx.fullmatch(b"\n" + ex.encode() + b"\n", f.mstart, f.mend)
                text = m.group(0).decode().lower() if m else ""
                if not any(k in text for k in r.keywords):
                    failures.append("%s: no keyword in match %r" % (r.id, text[:80]))
        for ex in r.d["negative_examples"]:
            found = engine.scan(ex.encode())
            if found:
                failures.append("%s: negative example yields %s: %r" % (r.id, [f.rule.id for f in found], ex[:120]))
        for g in r.d.get("generated_examples", []):
            text = generate(g)
            for where, emb in embeddings(g, text):
                found = [f for f in engine.scan(emb.encode(), before_merge=True) if f.rule is r]
                if len(found) != 1:
                    failures.append("%s: generated %s/%s gives %d findings" % (r.id, g, where, len(found)))
    for what, text in public_material():
        found = engine.scan(text.encode())
        if found:
            failures.append("public material %s yields %s" % (what, [f.rule.id for f in found]))
    if verbose:
        by_cat = {}
        for r in hs_ok:
            by_cat[r.category] = by_cat.get(r.category, 0) + 1
        print("rules: %d (%s)" % (len(hs_ok), ", ".join("%s %d" % kv for kv in sorted(by_cat.items()))))
    return failures, hs_ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", default=str(DEFAULT_RULES))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    failures, rules = run_checks(a.rules, a.verbose)
    if failures:
        print("FAILED: %d problem(s)" % len(failures))
        for f in failures:
            print("  - " + f)
        sys.exit(1)
    n_ex = sum(len(r.d["examples"]) + len(r.d.get("generated_examples", [])) for r in rules)
    n_neg = sum(len(r.d["negative_examples"]) for r in rules)
    print("OK: %d rules, %d examples, %d negative examples, all compile in re and Hyperscan" % (len(rules), n_ex, n_neg))


if __name__ == "__main__":
    main()
