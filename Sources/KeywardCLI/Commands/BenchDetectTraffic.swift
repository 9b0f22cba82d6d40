import Foundation
import KeywardCore

/// `bench detect`'s labelled synthetic traffic: normal machine keys (log-normal rates, diurnal
/// shapes, a few sources, deploys that rotate the key and bring a new address, REST paths,
/// scope misconfigurations, misconfigured clients presenting the same unknown key) and injected
/// attacks, each labelled with its start, end, subject and the detector that should find it.
/// Everything is drawn from one seeded generator, on a simulated clock (ms).
struct DetectTraffic {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    let start: Int64
    let end: Int64
    var keys: [SimKey] = []
    var identities: [IdentityID] = []
    var streams: [SimStream] = []
    var labels: [AttackLabel] = []
    var misconfigured = 0
    var rng: BenchRandom

    /// How a key's rate varies over the day.
    enum Shape {
        case flat
        /// A daytime peak (07:00–19:00 UTC) up to `peak` × the base.
        case daytime(peak: Double)
        /// One hour a day at `factor` × the base.
        case batch(hour: Int, factor: Double)
    }

    enum Paths {
        /// Verify calls without a path (not behind forward-auth).
        case none
        /// A handful of fixed paths.
        case handful(Int)
        /// REST ids drawn from a pool.
        case many(Int)
    }

    /// A scraping climb or a sudden spike multiplies the key's own traffic.
    enum Surge {
        case climb(start: Int64, growthPer10Minutes: Double, cap: Double, end: Int64)
        case spike(start: Int64, factor: Double, end: Int64)
    }

    struct SimKey {
        let id: KeyID
        let identity: IdentityID
        /// Calls a minute outside the shape's peaks.
        let base: Double
        let shape: Shape
        let paths: Paths
        let userAgent: String
        let required: [Scope]
        /// A misconfigured client asking for a scope the key lacks, on this share of its calls.
        let misScope: Scope?
        let misShare: Double
        var addresses: [String]
        var version = 1
        /// Deploy instants still to come, ascending.
        var deploys: [Int64]
        /// An old address still presenting the rotated version after a deploy, until then.
        var straggler: (ip: String, version: Int, until: Int64)?
        var surge: Surge?

        func rate(at t: Int64) -> Double {
            let h = Double(t % DetectTraffic.day) / Double(DetectTraffic.hour)
            var r = base
            switch shape {
            case .flat: break
            case .daytime(let peak): if h >= 7, h < 19 { r *= 1 + (peak - 1) * sin(Double.pi * (h - 7) / 12) }
            case .batch(let hour, let factor): if Int(h) == hour { r *= factor }
            }
            switch surge {
            case .climb(let s, let g, let cap, let e)? where t >= s && t < e: r *= min(cap, pow(g, Double(t - s) / Double(10 * DetectTraffic.minute)))
            case .spike(let s, let f, let e)? where t >= s && t < e: r *= f
            default: break
            }
            return r
        }
    }

    /// A stream of calls that is not a key's own traffic: misconfigured clients, and the attacks.
    struct SimStream {
        enum Kind {
            /// Unknown keys from one source: the same few (a misconfigured client) or a new one each call (enumeration).
            case unknownKeys(ip: String, hashes: [Int])
            /// Revoked and rotated keys of one identity from several sources (brute force).
            case failures(identity: IdentityID, key: KeyID, ips: [String])
            /// A key used from somewhere else (credential sharing, human use).
            case borrowed(key: Int, ip: String, userAgent: String)
            /// A key asking for scope after scope it does not hold.
            case probe(key: Int, ip: String, scopes: [Scope])
            /// A key walking ids through forward-auth.
            case walk(key: Int, from: Int)
        }

        enum Gap {
            case exponential(meanMs: Double)
            /// Human think time: log-normal around a median, irregular.
            case human(medianMs: Double)
            case uniform(lowMs: Double, highMs: Double)
        }

        var kind: Kind
        var nextAt: Int64
        let end: Int64
        let gap: Gap
        /// Calls made so far, and calls left (a human session ends after its calls).
        var n = 0
        var remaining = Int.max
    }

    /// One injected attack and the detector that should find it. Another detector's finding on the
    /// same subject within its window is a side effect (a human on a stable key is also a new
    /// source; a climb on a REST key also touches more paths), counted apart from false alarms.
    struct AttackLabel {
        let detector: DetectorKind
        let variant: String
        let start: Int64
        let end: Int64
        var key: KeyID?
        var identity: IdentityID?
        var source: String?
        /// Its parameters and its target, printed with `--examples` when it was missed.
        var note = ""
        var detectedAt: Int64?
    }

    /// A key's profile in a few words (for missed attacks and false alarms).
    static func describe(_ k: SimKey) -> String {
        let shape = switch k.shape {
        case .flat: "flat"
        case .daytime(let peak): String(format: "daytime peak ×%.1f", peak)
        case .batch(let hour, let factor): String(format: "batch at %02d:00 ×%.0f", hour, factor)
        }
        let paths = switch k.paths {
        case .none: "no paths"
        case .handful(let n): "\(n) fixed paths"
        case .many(let n): "\(n) REST ids"
        }
        let mis = k.misScope == nil ? "" : String(format: ", %.0f%% insufficient_scope", k.misShare * 100)
        return String(format: "key at %.1f calls/min, ", k.base) + "\(shape), \(k.addresses.count) addresses, \(paths)\(mis)"
    }

    static let machineAgents = ["okhttp/4.12.0", "Go-http-client/2.0", "python-requests/2.32.3", "aws-sdk-java/2.25.60", "node-fetch/2.7.0",
                                "grpc-java-netty/1.64.0", "Apache-HttpClient/5.3.1", "reqwest/0.12.5"]
    static let otherAgents = ["python-httpx/0.27.0", "axios/1.7.2", "Java/17.0.11"]
    static let browsers = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                           "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"]
    static let tools = ["curl/8.5.0", "HTTPie/3.2.2", "PostmanRuntime/7.39.0"]
    static let services = ["billing", "orders", "users", "reports", "inventory", "search", "payments", "audit", "admin", "exports"]
    static let verbs = ["read", "write", "delete", "admin"]

    private var addressCounter = 0

    /// A fresh address: `prefix.x.y.z`, never handed out twice.
    mutating func address(_ prefix: Int) -> String {
        addressCounter += 1
        let n = addressCounter
        return "\(prefix).\(n >> 16 & 255).\(n >> 8 & 255).\(n & 255)"
    }

    init(seed: UInt64, keys count: Int, days: Int, start: Int64) {
        rng = BenchRandom(seed: seed)
        self.start = start
        end = start + Int64(days) * Self.day
        identities = (0..<max(1, count / 4)).map { _ in IdentityID(raw: UInt128(rng.next()) << 64 | UInt128(rng.next())) }
        for i in 0..<count { keys.append(makeKey(i)) }
        for _ in 0..<max(1, count / 20) { addMisconfiguredClient() }
    }

    private mutating func makeKey(_ i: Int) -> SimKey {
        let base = min(500, max(0.1, rng.logNormal(median: 0.6, sigma: 1.5)))
        let roll = rng.unit()
        let shape: Shape = roll < 0.4 ? .flat : roll < 0.8 ? .daytime(peak: rng.between(2, 4)) : .batch(hour: rng.below(24), factor: rng.between(10, 30))
        let p = rng.unit()
        let paths: Paths = p < 0.1 ? .many(200 + rng.below(4_800)) : p < 0.25 ? .handful(3 + rng.below(8)) : .none
        let service = Self.services[rng.below(Self.services.count)]
        let mis = rng.chance(0.05) ? Scope("\(Self.services[rng.below(Self.services.count)]):admin") : nil
        var deploys: [Int64] = []
        var d = start
        while d < end {
            if rng.chance(0.25) { deploys.append(d + Int64(rng.unit() * Double(Self.day))) }
            d += Self.day
        }
        return SimKey(id: KeyID(raw: UInt128(rng.next()) << 64 | UInt128(rng.next())), identity: identities[i % identities.count], base: base, shape: shape,
                      paths: paths, userAgent: Self.machineAgents[rng.below(Self.machineAgents.count)], required: [Scope("\(service):read")!],
                      misScope: mis, misShare: mis == nil ? 0 : rng.between(0.02, 0.3),
                      addresses: (0..<(1 + rng.below(4))).map { _ in address(10) }, deploys: deploys.sorted())
    }

    private mutating func addMisconfiguredClient() {
        let from = start + Int64(rng.unit() * Double(end - start))
        let hashes = (0..<(1 + rng.below(3))).map { _ in Int(truncatingIfNeeded: rng.next()) }
        streams.append(SimStream(kind: .unknownKeys(ip: address(172), hashes: hashes), nextAt: from,
                                 end: min(end, from + Int64(rng.between(1, 12) * Double(Self.hour))),
                                 gap: .exponential(meanMs: 60_000 / rng.between(0.2, 20))))
        misconfigured += 1
    }
}
