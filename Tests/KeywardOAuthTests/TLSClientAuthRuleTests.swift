import KeywardOAuth
import Testing

/// RFC 8705 §2.1.2 registration values as parsed rules: RFC 4514 subject DNs compared by type
/// OID and case-folded value, DNS names exact (case 23, case 24).
@Suite("OAuth: tls_client_auth registration rules (RFC 8705, RFC 4514)")
struct TLSClientAuthRuleTests {
    static func dn(_ s: String) -> TLSClientAuthRule? { try? TLSClientAuthRule.parse(subjectDN: s, sanDNS: nil) }

    @Test("one DN in many spellings: keyword or OID, letter case, spaces, escapes, RDN order, multi-valued RDN order (case 23)")
    func equivalentSpellings() {
        let base = Self.dn("CN=orders-service,O=Example Corp,C=US")
        #expect(base != nil)
        for s in ["cn=Orders-Service, o=EXAMPLE   CORP, c=us", "C=US, O=Example Corp, CN=orders-service",
                  "2.5.4.3=orders-service,2.5.4.10=Example Corp,2.5.4.6=US", "CN=orders\\2dservice,O=Example\\ Corp,C=US"] {
            #expect(Self.dn(s) == base, "\(s)")
        }
        #expect(Self.dn("CN=a+OU=b,O=x") == Self.dn("OU=b+CN=a,O=x"))
        #expect(Self.dn("CN=a\\,b,O=x") != Self.dn("CN=a,CN=b,O=x"))
    }

    @Test("different values or attribute types do not match")
    func differentNames() {
        let base = Self.dn("CN=orders-service,O=Example Corp")
        for s in ["CN=orders-service,O=Example Corp2", "CN=orders-service", "CN=orders-service,OU=Example Corp",
                  "CN=orders-service,O=Example Corp,O=Example Corp", "CN=orders-service+O=Example Corp"] {
            #expect(Self.dn(s) != base, "\(s)")
        }
    }

    @Test("malformed DNs and DNS names are refused; both or neither is refused (case 24)")
    func refusals() {
        for s in ["", "CN", "=x", "XX=orders", "CN=a,", "CN=a\\00b", "CN=a\\", "CN=a\\zz", "CN=a,=b", "1.x=a", String(repeating: "CN=a,", count: 300) + "CN=a"] {
            #expect(Self.dn(s) == nil, "\(s)")
        }
        for s in ["*.example.com", "orders.example.com\u{0}.evil", "", "-a.example", "a..example", "ex ample.com", "é.example",
                  String(repeating: "a", count: 64) + ".example"] {
            #expect((try? TLSClientAuthRule.parse(subjectDN: nil, sanDNS: s)) == nil, "\(s)")
        }
        #expect((try? TLSClientAuthRule.parse(subjectDN: nil, sanDNS: "Orders.Example.COM")) == .sanDNS("orders.example.com"))
        #expect(throws: TLSClientAuthRule.Invalid.both) { try TLSClientAuthRule.parse(subjectDN: "CN=a", sanDNS: "a.example") }
        #expect(throws: TLSClientAuthRule.Invalid.neither) { try TLSClientAuthRule.parse(subjectDN: nil, sanDNS: nil) }
    }
}
