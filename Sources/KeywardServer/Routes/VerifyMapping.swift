import Foundation
import KeywardAPI
import KeywardCore
import KeywardVerify

extension VerifyResponse {
    init(_ o: VerifyOutcome) {
        self.init(valid: o.valid, reason: o.reason?.rawValue, keyId: o.keyID?.description, version: o.version,
                  identityId: o.identityID?.description, scopes: o.scopes?.map(\.value), expiresAt: o.expiresAt,
                  clientId: o.clientID?.description, tokenId: o.tokenID?.description, dpopNonce: o.dpopNonce)
    }
}
