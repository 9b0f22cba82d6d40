/// A JWS in compact serialization (RFC 7515 §7.1), parsed strictly and not yet verified.
// Not jwt-kit: the RFC 8725 checks need the raw segments (duplicate members, `crit`, exact base64url, raw-vs-DER signatures), which jwt-kit decodes leniently.
package struct CompactJWS: Sendable {
    package let header: [String: JSONValue]
    package let payload: [String: JSONValue]
    /// ASCII of "<b64 header>.<b64 payload>": what the signature covers (RFC 7515 §5.1 step 5).
    package let signingInput: [UInt8]
    package let signature: [UInt8]

    /// The header's `alg` when Keyward accepts it; nil for `none`, HS*, PBES2 and anything unknown.
    package var algorithm: JWSAlgorithm? { header["alg"]?.stringValue.flatMap(JWSAlgorithm.init(rawValue:)) }

    /// The header's `typ` as a media type compared case-insensitively, without the optional
    /// "application/" prefix (RFC 7515 §4.1.9); nil when absent or not a string.
    package var type: String? { Self.type(of: header) }

    static func type(of header: [String: JSONValue]) -> String? {
        guard let typ = header["typ"]?.stringValue?.lowercased() else { return nil }
        return typ.hasPrefix("application/") ? String(typ.dropFirst("application/".count)) : typ
    }

    /// Exactly three segments (five = JWE: refused, never decrypted), strict base64url (alphabet only, no padding,
    /// no whitespace, canonical trailing bits), text ≤ maxBytes, header and payload strict JSON objects, header `crit`
    /// present in any form → refused (we understand no extension), `b64` refused.
    package static func parse(_ text: String, maxBytes: Int = 8 * 1024) throws(JOSEError) -> CompactJWS {
        let utf8 = text.utf8
        // RFC 8725 §3.x: bound the work before decoding anything.
        guard utf8.count <= maxBytes else { throw .tooLarge }
        var dots: [String.UTF8View.Index] = []
        var i = utf8.startIndex
        while i != utf8.endIndex {
            if utf8[i] == UInt8(ascii: ".") {
                dots.append(i)
                guard dots.count <= 4 else { throw .notThreeSegments }
            }
            i = utf8.index(after: i)
        }
        // RFC 7516 §9: five segments are a JWE; Keyward holds no decryption key and never tries.
        if dots.count == 4 { throw .jweRefused }
        guard dots.count == 2 else { throw .notThreeSegments }
        let headerText = utf8[utf8.startIndex..<dots[0]]
        let payloadText = utf8[utf8.index(after: dots[0])..<dots[1]]
        let signatureText = utf8[utf8.index(after: dots[1])...]
        guard let headerBytes = Base64URL.decode(headerText), let payloadBytes = Base64URL.decode(payloadText),
              let signature = Base64URL.decode(signatureText) else { throw .badBase64URL }
        let header = try StrictJSON.object(headerBytes)
        // RFC 7515 §4.1.11: a recipient MUST reject a JWS whose crit names an extension it does not
        // understand; Keyward understands none, and refuses the member in any form (even []).
        if header["crit"] != nil { throw .critRefused }
        // RFC 7797: b64=false changes what is signed; never accepted.
        if header["b64"] != nil { throw JOSEError("b64 header present: unencoded payloads are not accepted") }
        // RFC 7516 §4.1.2: a header with enc is a JWE's, whatever its segment count.
        if header["enc"] != nil { throw .jweRefused }
        // RFC 7515 §4.1.1: alg MUST be present.
        guard header["alg"]?.stringValue != nil else { throw JOSEError("header has no alg string") }
        let payload = try StrictJSON.object(payloadBytes)
        return CompactJWS(header: header, payload: payload, signingInput: Array(utf8[utf8.startIndex..<dots[1]]), signature: signature)
    }
}
