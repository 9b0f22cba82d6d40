import Foundation
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardOAuth
import KeywardVerify
import NIOCore

/// `POST /v1/keys/verify`: 200 with `valid:false` and a reason for a bad key; 4xx only for a bad request.
struct VerifyRoutes {
    let point: VerifyPoint
    let auth: Authenticator
    let io: JSONIO

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let point = point, auth = auth, io = io
        table.add(.post, "/v1/keys/verify")
        router.post("/v1/keys/verify") { req, _ in
            _ = try auth.require(.verify, req)
            let body = try await io.decodeFast(VerifyRequest.self, from: req, fast: VerifyCodec.decode)
            let out = Self.encode(try await point.outcome(body))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: out))
        }
    }

    static func encode(_ outcome: VerifyOutcome) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(256)
        VerifyCodec.encode(VerifyResponse(outcome), into: &out)
        return out
    }
}
