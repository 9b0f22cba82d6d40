import Foundation
import HTTPTypes
import Hummingbird
import KeywardCore
import KeywardGovernance
import KeywardStore
import KeywardVerify

/// The console at `/` (issue 17): server-rendered pages over the same governance calls as the
/// API, with no script. GET pages need a session (else they redirect to sign-in); every POST
/// needs the session, its CSRF token, a same-origin `Origin` when the browser sends one, and
/// (to change anything) a key with `keyward:admin`.
struct ConsoleRoutes: Sendable {
    let governance: Governance
    let auth: ConsoleAuth
    let posture: PostureCache

    /// Who is looking: what every page's layout needs, and whether it may show forms that change things.
    struct Viewer: Sendable {
        let session: ConsoleSession
        let csrf: String

        func context(nav: String?) -> [String: Any] {
            var c: [String: Any] = [
                "session": ["csrf": csrf, "keyID": session.keyID.description, "role": session.isAdmin ? "admin" : "read-only"] as [String: Any],
                "admin": session.isAdmin,
            ]
            if let nav { c["nav"] = [nav: true] }
            return c
        }
    }

    typealias Page = @Sendable (Request, KeywardRequestContext, Viewer) async throws -> Response
    typealias Action = @Sendable (KeywardRequestContext, Viewer, [String: String]) async throws -> Response

    func register(on router: Router<KeywardRequestContext>, table: RouteTable) {
        let c = self
        table.add(.get, "/")
        router.get("/") { _, _ in ConsoleView.redirect("/console/") }
        table.add(.get, "/console/static/console.css")
        router.get("/console/static/console.css") { _, _ in ConsoleView.css() }
        table.add(.get, "/console/sign-in")
        router.get("/console/sign-in") { req, _ in
            if try await c.auth.session(req) != nil { return ConsoleView.redirect("/console/") }
            return c.signInPage(error: nil, status: .ok)
        }
        table.add(.post, "/console/sign-in")
        router.post("/console/sign-in") { req, ctx in try await c.signIn(req, ctx) }
        table.add(.post, "/console/sign-out")
        router.post("/console/sign-out") { req, _ in try await c.signOut(req) }

        page(router, table, "/console/") { req, _, v in try await c.posturePage(req, v) }
        page(router, table, "/console/posture/report") { _, _, _ in try await c.postureReport() }
        page(router, table, "/console/identities") { req, _, v in try await c.identitiesPage(req, v) }
        page(router, table, "/console/identities/{id}") { req, ctx, v in try await c.identityPage(try ctx.pathID(IdentityID.self), req, v) }
        page(router, table, "/console/incidents") { req, _, v in try await c.incidentsPage(req, v) }
        page(router, table, "/console/incidents/{id}") { req, ctx, v in try await c.incidentPage(try ctx.pathID(IncidentID.self), req, v) }
        page(router, table, "/console/detections") { req, _, v in try await c.detectionsPage(req, v) }
        page(router, table, "/console/reviews") { req, _, v in try await c.reviewsPage(req, v) }
        page(router, table, "/console/audit") { req, _, v in try await c.auditPage(req, v) }
        // A key, client or imported credential is shown on its identity's page: these name one by its id.
        page(router, table, "/console/keys/{id}") { _, ctx, _ in
            guard let k = try await c.governance.key(try ctx.pathID(KeyID.self)) else { throw KeywardError.notFound("key") }
            return ConsoleView.redirect("/console/identities/\(k.identityID)#key-\(k.id)")
        }
        page(router, table, "/console/clients/{id}") { _, ctx, _ in
            let (client, _) = try await c.governance.client(try ctx.pathID(OAuthClientID.self))
            return ConsoleView.redirect("/console/identities/\(client.identityID)#client-\(client.id)")
        }
        page(router, table, "/console/credentials/{id}") { _, ctx, _ in
            guard let cr = try await c.governance.credential(try ctx.pathID(CredentialID.self)) else { throw KeywardError.notFound("credential") }
            return ConsoleView.redirect("/console/identities/\(cr.identityID)#credential-\(cr.id)")
        }

        action(router, table, "/console/identities/{id}/keys") { ctx, v, form in try await c.issueKey(try ctx.pathID(IdentityID.self), form, v) }
        action(router, table, "/console/keys/{id}/rotate") { ctx, v, _ in try await c.rotateKey(try ctx.pathID(KeyID.self), v) }
        action(router, table, "/console/keys/{id}/revoke") { ctx, v, form in
            let id = try ctx.pathID(KeyID.self)
            let key = try await c.governance.revokeKey(id, reason: try Self.required(form, "reason"), actor: v.session.principal)
            return ConsoleView.redirect("/console/identities/\(key.identityID)?done=key-revoked")
        }
        action(router, table, "/console/identities/{id}/confirm") { ctx, v, form in
            let id = try ctx.pathID(IdentityID.self)
            _ = try await c.governance.confirmIdentity(id, note: Self.optional(form, "note"), actor: v.session.principal)
            return ConsoleView.redirect(form["back"] == "reviews" ? "/console/reviews?done=confirmed" : "/console/identities/\(id)?done=confirmed")
        }
        action(router, table, "/console/incidents/{id}/resolve") { ctx, v, form in
            let id = try ctx.pathID(IncidentID.self)
            _ = try await c.governance.resolveIncident(id, reason: try Self.required(form, "reason"), actor: v.session.principal)
            return ConsoleView.redirect("/console/incidents/\(id)?done=resolved")
        }
        action(router, table, "/console/detections/{id}/release") { ctx, v, form in
            _ = try await c.governance.releaseDetection(try ctx.pathID(DetectionID.self), reason: try Self.required(form, "reason"), actor: v.session.principal)
            return ConsoleView.redirect("/console/detections?done=released")
        }
    }

    // MARK: gates

    private func page(_ router: Router<KeywardRequestContext>, _ table: RouteTable, _ path: String, _ body: @escaping Page) {
        let c = self
        table.add(.get, path)
        router.get(RouterPath(path)) { req, ctx in
            guard let (s, token) = try await c.auth.session(req) else { return ConsoleView.redirect("/console/sign-in") }
            let viewer = Viewer(session: s, csrf: ConsoleAuth.csrf(for: token))
            do { return try await body(req, ctx, viewer) } catch { return c.errorPage(error, viewer: viewer) }
        }
    }

    private func action(_ router: Router<KeywardRequestContext>, _ table: RouteTable, _ path: String, _ body: @escaping Action) {
        let c = self
        table.add(.post, path)
        router.post(RouterPath(path)) { req, ctx in
            guard ConsoleAuth.sameOrigin(req) else { return c.refusal("This form was sent from another site.", viewer: nil) }
            guard let (s, token) = try await c.auth.session(req) else { return ConsoleView.redirect("/console/sign-in") }
            let viewer = Viewer(session: s, csrf: ConsoleAuth.csrf(for: token))
            do {
                let form = try await Self.form(req)
                guard ConsoleAuth.csrfMatches(form["csrf"], token: token) else {
                    return c.refusal("The form's CSRF token is missing or wrong: reload the page and try again.", viewer: viewer)
                }
                guard s.isAdmin else { return c.refusal("This session's key is read-only (keyward:read): it cannot change anything.", viewer: viewer) }
                return try await body(ctx, viewer, form)
            } catch {
                return c.errorPage(error, viewer: viewer)
            }
        }
    }

    /// A form body (application/x-www-form-urlencoded, at most 64 KiB) as its fields.
    static func form(_ req: Request) async throws -> [String: String] {
        guard let type = req.headers[.contentType], type.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            throw KeywardError(.badRequest, "a console form must be sent as application/x-www-form-urlencoded")
        }
        let body = try await req.body.collect(upTo: 64 * 1024)
        do {
            return try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body))
        } catch {
            throw KeywardError(.badRequest, "the form could not be read")
        }
    }

    static func required(_ form: [String: String], _ name: String) throws -> String {
        guard let v = optional(form, name) else { throw KeywardError(.validation, "\(name) is required") }
        return v
    }

    static func optional(_ form: [String: String], _ name: String) -> String? {
        let v = form[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return v.isEmpty ? nil : v
    }

    // MARK: sign-in

    func signInPage(error: String?, status: HTTPResponse.Status) -> Response {
        let token = ConsoleAuth.newToken()
        var context: [String: Any] = ["signInCSRF": ConsoleAuth.csrf(for: token), "hours": Int(auth.policy.absolute / 3_600),
                                      "idleMinutes": Int(auth.policy.idle / 60)]
        if let error { context["error"] = error }
        var r = ConsoleView.page("console-signin", context, status: status)
        r.setCookie(auth.cookie(auth.signInCookie, value: token, maxAge: 3_600))
        return r
    }

    func signIn(_ req: Request, _ ctx: KeywardRequestContext) async throws -> Response {
        guard ConsoleAuth.sameOrigin(req) else { return signInPage(error: "This sign-in form was sent from another site.", status: .forbidden) }
        let form: [String: String]
        do { form = try await Self.form(req) } catch { return signInPage(error: ProblemResponse.classify(error).message, status: .badRequest) }
        guard let pre = auth.token(req, cookie: auth.signInCookie), ConsoleAuth.csrfMatches(form["csrf"], token: pre) else {
            return signInPage(error: "The sign-in form expired or did not come from this console: try again.", status: .forbidden)
        }
        let key = (form["key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty, key.utf8.count <= 512 else { return signInPage(error: "Paste a management key.", status: .badRequest) }
        let principal: Principal
        let outcome: VerifyOutcome
        do {
            outcome = try auth.authenticator.verifier.verify(key, recordUsage: false)
            principal = try auth.authenticator.authorize(outcome, .read)
        } catch let e as KeywardError where e.code == .forbidden {
            return signInPage(error: "This key may not use the console: it needs keyward:read or keyward:admin.", status: .forbidden)
        } catch {
            return signInPage(error: "That is not a valid management key.", status: .unauthorized)
        }
        guard let keyID = outcome.keyID else { return signInPage(error: "That is not a valid management key.", status: .unauthorized) }
        let token = ConsoleAuth.newToken()
        _ = try await governance.openConsoleSession(idHash: ConsoleAuth.hash(token), keyID: keyID, isAdmin: principal.isAdmin,
                                                    remote: ctx.remoteAddress, policy: auth.policy)
        var r = ConsoleView.redirect("/console/")
        r.setCookie(auth.cookie(auth.sessionCookie, value: token, maxAge: Int(auth.policy.absolute)))
        r.setCookie(auth.cookie(auth.signInCookie, value: "-", maxAge: 0))
        return r
    }

    func signOut(_ req: Request) async throws -> Response {
        guard ConsoleAuth.sameOrigin(req) else { return refusal("This form was sent from another site.", viewer: nil) }
        if let (s, token) = try await auth.session(req) {
            let form = (try? await Self.form(req)) ?? [:]
            guard ConsoleAuth.csrfMatches(form["csrf"], token: token) else {
                return refusal("The form's CSRF token is missing or wrong: reload the page and try again.",
                               viewer: Viewer(session: s, csrf: ConsoleAuth.csrf(for: token)))
            }
            try await governance.closeConsoleSession(idHash: s.idHash, keyID: s.keyID)
        }
        var r = ConsoleView.redirect("/console/sign-in")
        r.setCookie(auth.cookie(auth.sessionCookie, value: "-", maxAge: 0))
        return r
    }

    // MARK: errors

    func refusal(_ message: String, viewer: Viewer?) -> Response {
        var context = viewer?.context(nav: nil) ?? [:]
        context["heading"] = "Refused"
        context["message"] = message
        context["back"] = "/console/"
        return ConsoleView.page("console-error", context, status: .forbidden)
    }

    /// A failed page or action as an HTML page with the API's status and message (never a 5xx for bad input).
    func errorPage(_ error: any Error, viewer: Viewer) -> Response {
        let kw = ProblemResponse.classify(error)
        let status = ProblemResponse.status(for: kw.code)
        var context = viewer.context(nav: nil)
        context["heading"] = status.code == 404 ? "Not found" : status.code >= 500 ? "Something went wrong" : "Could not do that"
        context["message"] = kw.message
        context["back"] = "/console/"
        return ConsoleView.page("console-error", context, status: status)
    }

    /// The fixed message for a `?done=` after an action (never text from the request).
    static func flash(_ req: Request) -> String? {
        switch req.uri.queryParameters.get("done") {
        case "key-revoked": "The key was revoked: every version of it stopped working at once."
        case "confirmed": "Confirmed: the identity's next review is due in one review period."
        case "resolved": "The incident was resolved."
        case "released": "The detection was released."
        default: nil
        }
    }
}
