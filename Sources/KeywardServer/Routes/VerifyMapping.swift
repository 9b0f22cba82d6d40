import Foundation
import KeywardAPI
import KeywardCore
import KeywardVerify

extension VerifyResponse {
    init(_ o: VerifyOutcome) {
        self.init(valid: o.valid, reason: o.reason?.rawValue, keyId: o.keyID?.description, version: o.version,
                  identityId: o.identityID?.description, scopes: o.scopes?.map(\.value), expiresAt: o.expiresAt,
                  clientId: o.clientID?.description, tokenId: o.tokenID?.description, dpopNonce: o.dpopNonce,
                  ratelimit: o.ratelimit.map { RateLimitStateDTO(limit: $0.limit.limit, remaining: $0.remaining, reset: $0.reset, retryAfter: $0.retryAfter) })
    }
}
