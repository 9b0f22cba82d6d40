import Foundation
import HTTPTypes
import Hummingbird
import KeywardAPI
import KeywardCore
import KeywardGovernance
import KeywardStore
import NIOCore

/// The console's read pages: each builds a plain dictionary for its template.
extension ConsoleRoutes {
    func posturePage(_ req: Request, _ v: Viewer) async throws -> Response {
        let p = PostureResponse(try await posture.fresh())
        let all = p.risks.flatMap(\.findings)
        var c = v.context(nav: "posture")
        c["overall"] = p.overallScore.map { "\($0)" } ?? "–"
        c["findingCount"] = all.count
        c["highCount"] = all.filter { $0.severity == "high" }.count
        c["hasHigh"] = all.contains { $0.severity == "high" }
        c["generatedAt"] = ConsoleView.time(p.generatedAt)
        c["bars"] = PostureReportPage.bars(p, barMax: 400)
        c["chartWidth"] = 60 + 400 + 70
        c["chartHeight"] = 16 + p.risks.count * 24
        c["risks"] = p.risks.map { r -> [String: Any] in
            [
                "id": r.id, "title": r.title, "scoreText": r.score.map { "\($0) / 100" } ?? "no data",
                "scoreClass": r.score.map { $0 >= 85 ? "status-ok" : $0 >= 60 ? "status-warn" : "status-bad" } ?? "muted",
                "findingCount": r.findings.count, "checksText": r.checks.joined(separator: "; "), "open": r.findings.contains { $0.severity == "high" },
                "noDataText": r.noData.isEmpty ? false : r.noData.joined(separator: "; "),
                "metricsText": r.metrics.isEmpty ? false
                    : r.metrics.map { "\($0.name.replacingOccurrences(of: "_", with: " ")): \(PostureReportPage.number($0.value))" }.joined(separator: "; "),
                "hasFindings": !r.findings.isEmpty,
                "findings": r.findings.map { f -> [String: Any] in
                    var row: [String: Any] = ["severity": f.severity, "subjectKind": f.subjectKind, "subjectId": f.subjectId,
                                              "subjectName": f.subjectName ?? "", "owner": f.owner ?? "no owner", "evidence": f.evidence, "fix": f.fix]
                    switch f.subjectKind {
                    case "identity": row["link"] = "/console/identities/\(f.subjectId)"
                    case "incident": row["link"] = "/console/incidents/\(f.subjectId)"
                    case "key": row["link"] = "/console/keys/\(f.subjectId)"
                    case "client": row["link"] = "/console/clients/\(f.subjectId)"
                    case "credential": row["link"] = "/console/credentials/\(f.subjectId)"
                    default: break
                    }
                    return row
                },
            ]
        }
        let days = 30
        let trend = try await governance.postureTrend(days: days).filter { $0.overallScore != nil }
        c["trendDays"] = days
        c["hasTrend"] = !trend.isEmpty
        if !trend.isEmpty {
            let (left, width, top, height) = (40, 440, 10, 120)
            let step = trend.count > 1 ? Double(width) / Double(trend.count - 1) : 0
            let dots = trend.enumerated().map { i, s -> [String: Any] in
                let x = left + Int((Double(i) * step).rounded())
                let y = top + (100 - (s.overallScore ?? 0)) * height / 100
                return ["x": x, "y": y, "day": s.day, "score": s.overallScore ?? 0]
            }
            c["trendDots"] = dots
            c["trendPoints"] = dots.map { "\($0["x"]!),\($0["y"]!)" }.joined(separator: " ")
            c["trendWidth"] = left + width + 20
            c["trendHeight"] = top + height + 30
            c["trendBase"] = top + height
            c["trendRight"] = left + width
            c["trendLabelY"] = top + height + 18
            c["trendFirst"] = trend.first!.day
            c["trendLast"] = trend.last!.day
        }
        return ConsoleView.page("console-posture", c)
    }

    /// The self-contained HTML report, as a download.
    func postureReport() async throws -> Response {
        let p = PostureResponse(try await posture.fresh())
        var r = try PostureReportPage.response(p)
        r.headers[.contentDisposition] = "attachment; filename=\"keyward-posture-\(ConsoleView.day(p.generatedAt)).html\""
        return r
    }

    func identitiesPage(_ req: Request, _ v: Viewer) async throws -> Response {
        let q = req.uri.queryParameters
        func text(_ name: String) -> String? { q.get(name).flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } }
        let filter = IdentityFilter(owner: text("owner"), environment: text("environment"), name: text("name"))
        let page = try await governance.identities(filter, limit: 50, after: text("after"))
        var c = v.context(nav: "identities")
        c["filterName"] = filter.name ?? ""
        c["filterOwner"] = filter.owner ?? ""
        c["filterEnvironment"] = filter.environment ?? ""
        c["identities"] = page.items.map(Self.identityRow)
        if let next = page.nextCursor {
            c["next"] = Self.link("/console/identities", ["name": filter.name, "owner": filter.owner, "environment": filter.environment, "after": next])
        }
        return ConsoleView.page("console-identities", c)
    }

    static func identityRow(_ i: Identity) -> [String: Any] {
        [
            "id": i.id.description, "name": i.name, "kind": i.kind.rawValue, "environment": i.environment,
            "technicalOwner": i.technicalOwner ?? "—", "businessOwner": i.businessOwner ?? "—", "purpose": i.purpose ?? "—",
            "status": i.status.rawValue, "statusClass": ConsoleView.statusClass(i.status.rawValue),
            "dataClassification": i.dataClassification.rawValue, "allowedScopes": i.allowedScopes.map(\.description).joined(separator: " "),
            "labels": i.labels.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
            "createdAt": ConsoleView.time(i.createdAt),
        ]
    }

    func identityPage(_ id: IdentityID, _ req: Request, _ v: Viewer) async throws -> Response {
        guard let identity = try await governance.identity(id) else { throw KeywardError.notFound("identity") }
        let keys = try await governance.keys(KeyFilter(identityID: id), limit: 200, after: nil).items
        let imported = try await governance.credentials(identity: id, limit: 200, after: nil).items
        let clients = try await governance.listClients(identity: id, limit: 200, after: nil).items
        let detections = try await governance.detections(DetectionFilter(identityID: id), limit: 20, after: nil).items
        let review = try await governance.review(of: identity)
        var c = v.context(nav: "identities")
        c["flash"] = Self.flash(req)
        c["identity"] = Self.identityRow(identity)
        let active = identity.status == .active
        c["canIssue"] = v.session.isAdmin && active && !identity.isBuiltIn
        c["canConfirm"] = v.session.isAdmin && active && review != nil
        if let review {
            c["review"] = ["lastConfirmed": ConsoleView.time(review.lastConfirmedAt), "dueAt": ConsoleView.day(review.dueAt), "overdue": review.overdueDays > 0] as [String: Any]
        }
        let now = governance.now()
        c["keys"] = keys.map { k -> [String: Any] in
            let cur = k.current
            let expired = cur?.expiresAt.map { $0 <= now } ?? false
            return ["id": k.id.description, "name": k.name ?? "—", "status": expired && k.status == .active ? "expired" : k.status.rawValue,
                    "statusClass": ConsoleView.statusClass(k.status.rawValue), "environment": k.environment.rawValue,
                    "scopes": k.scopes.map(\.description).joined(separator: " "), "version": k.currentVersion, "prefix": cur?.prefix ?? "",
                    "expires": cur?.expiresAt.map(ConsoleView.time) ?? "never", "lastUsed": ConsoleView.time(k.lastUsedAt),
                    "live": k.status != .revoked && active]
        }
        c["hasImported"] = !imported.isEmpty
        c["imported"] = imported.map { ["id": $0.id.description, "provider": $0.provider, "prefix": $0.prefix, "environment": $0.environment, "status": $0.status.rawValue] }
        c["hasClients"] = !clients.isEmpty
        c["clients"] = clients.map { cl -> [String: Any] in
            let binding = cl.dpopBoundTokens ? "DPoP" : cl.certificateBoundTokens ? "certificate" : "none (bearer)"
            return ["id": cl.id.description, "method": cl.authMethod.rawValue, "binding": binding, "status": cl.status.rawValue]
        }
        c["hasDetections"] = !detections.isEmpty
        c["detections"] = detections.map { ["at": ConsoleView.time($0.at), "detector": $0.detector.rawValue, "action": $0.action.rawValue,
                                            "status": $0.status.rawValue, "summary": $0.evidence.summary] }
        return ConsoleView.page("console-identity", c)
    }

    func incidentsPage(_ req: Request, _ v: Viewer) async throws -> Response {
        let q = req.uri.queryParameters
        let status = q.get("status").flatMap(IncidentStatus.init(rawValue:))
        let page = try await governance.incidents(IncidentFilter(status: status), limit: 50, after: q.get("after").map { String($0.prefix(200)) })
        var names: [IdentityID: String] = [:]
        var rows: [[String: Any]] = []
        for i in page.items { rows.append(Self.incidentRow(i, identityName: try await identityName(i.identityID, &names))) }
        var c = v.context(nav: "incidents")
        c["incidents"] = rows
        c["statuses"] = ([("", "every status")] + IncidentStatus.allCases.map { ($0.rawValue, $0.rawValue) }).map {
            ["value": $0.0, "label": $0.1, "selected": $0.0 == (status?.rawValue ?? "")] as [String: Any]
        }
        if let next = page.nextCursor { c["next"] = Self.link("/console/incidents", ["status": status?.rawValue, "after": next]) }
        return ConsoleView.page("console-incidents", c)
    }

    static func incidentRow(_ i: Incident, identityName: String) -> [String: Any] {
        var row: [String: Any] = [
            "id": i.id.description, "status": i.status.rawValue, "statusClass": ConsoleView.statusClass(i.status.rawValue),
            "target": i.target.description, "identityID": i.identityID.description, "identityName": identityName,
            "environment": i.environment, "source": i.source, "classification": i.classification.rawValue, "action": i.action.rawValue,
            "receivedAt": ConsoleView.time(i.receivedAt), "containedAt": ConsoleView.time(i.containedAt),
            "timeToContain": ConsoleView.duration(ms: i.timeToContainMillis), "exposureCount": i.exposureCount, "guidance": i.guidance,
        ]
        if let v = i.targetVersion { row["version"] = v }
        return row
    }

    func incidentPage(_ id: IncidentID, _ req: Request, _ v: Viewer) async throws -> Response {
        guard let i = try await governance.incident(id) else { throw KeywardError.notFound("incident") }
        var names: [IdentityID: String] = [:]
        let name = try await identityName(i.identityID, &names)
        var c = v.context(nav: "incidents")
        c["flash"] = Self.flash(req)
        c["incident"] = Self.incidentRow(i, identityName: name)
        c["canResolve"] = v.session.isAdmin && i.status != .resolved
        c["events"] = i.events.map { ["at": ConsoleView.time($0.at), "kind": $0.kind, "detail": $0.detail] }
        if let b = try? WireCoding.decoder().decode(BlastRadiusReport.self, from: Data(i.blastRadiusJSON.utf8)) {
            c["blast"] = [
                "target": ["kind": b.target.kind, "id": b.target.id, "provider": b.target.provider, "prefix": b.target.prefix,
                           "environment": b.target.environment, "status": b.target.status],
                "owner": ["name": b.owner.name, "technicalOwner": b.owner.technicalOwner ?? "—", "businessOwner": b.owner.businessOwner ?? "—",
                          "purpose": b.owner.purpose ?? "—", "dataClassification": b.owner.dataClassification],
                "scopesText": b.scopes.joined(separator: " "), "resourcesText": b.resources.isEmpty ? "—" : b.resources.joined(separator: ", "),
                "derived": b.derivedCredentials.map { ["kind": $0.kind, "id": $0.id, "status": $0.status] },
                "declared": b.declaredConsumers.map { ["name": $0.name, "kind": $0.kind, "environment": $0.environment] },
                "observed": b.observedConsumers.map { ["ip": $0.ip ?? "unknown address", "userAgent": $0.userAgent ?? "", "count": $0.count, "undeclared": $0.undeclared] as [String: Any] },
                "reuse": b.reuse.map { ["kind": $0.kind, "id": $0.id, "environment": $0.environment ?? "—"] },
                "thirdPartiesText": b.thirdParties.isEmpty ? false : b.thirdParties.joined(separator: ", "),
            ] as [String: Any]
        }
        return ConsoleView.page("console-incident", c)
    }

    func detectionsPage(_ req: Request, _ v: Viewer) async throws -> Response {
        let page = try await governance.detections(DetectionFilter(), limit: 50, after: req.uri.queryParameters.get("after").map { String($0.prefix(200)) })
        var names: [IdentityID: String] = [:]
        var rows: [[String: Any]] = []
        for d in page.items {
            var row: [String: Any] = ["id": d.id.description, "at": ConsoleView.time(d.at), "detector": d.detector.rawValue, "action": d.action.rawValue,
                                      "status": d.status.rawValue, "subject": d.keyID?.description ?? d.clientID?.description ?? "—",
                                      "subjectLink": (d.keyID.map { "/console/keys/\($0)" } ?? d.clientID.map { "/console/clients/\($0)" }) as Any? ?? false,
                                      "source": d.source ?? "—", "summary": d.evidence.summary, "releasable": d.status == .open]
            if let iid = d.identityID {
                row["identityID"] = iid.description
                row["identityName"] = try await identityName(iid, &names)
            } else {
                row["identityName"] = "—"
            }
            if let inc = d.incidentID { row["incidentID"] = inc.description }
            rows.append(row)
        }
        var c = v.context(nav: "detections")
        c["flash"] = Self.flash(req)
        c["detections"] = rows
        if let next = page.nextCursor { c["next"] = Self.link("/console/detections", ["after": next]) }
        return ConsoleView.page("console-detections", c)
    }

    func reviewsPage(_ req: Request, _ v: Viewer) async throws -> Response {
        let horizon = 30
        let policy = governance.reviewPolicy
        let items = try await governance.reviewCampaign(horizonDays: horizon)
        let byOwner = Dictionary(grouping: items) { $0.owner ?? "no owner" }
        var c = v.context(nav: "reviews")
        c["flash"] = Self.flash(req)
        c["horizon"] = horizon
        c["everyDays"] = policy.days
        c["thirdPartyDays"] = policy.thirdPartyDays
        c["owners"] = byOwner.keys.sorted().map { owner -> [String: Any] in
            ["owner": owner, "items": byOwner[owner]!.map { r -> [String: Any] in
                ["id": r.identity.id.description, "name": r.identity.name, "kind": r.identity.kind.rawValue, "environment": r.identity.environment,
                 "lastConfirmed": r.lastConfirmedAt.map(ConsoleView.day) ?? "never",
                 "due": r.overdueDays > 0 ? "\(ConsoleView.day(r.dueAt)) (overdue \(r.overdueDays) d)" : ConsoleView.day(r.dueAt),
                 "dueClass": r.overdueDays > 0 ? "status-bad" : "status-warn"]
            }]
        }
        return ConsoleView.page("console-reviews", c)
    }

    func auditPage(_ req: Request, _ v: Viewer) async throws -> Response {
        let per: Int64 = 50
        let head = try await governance.auditHead().seq
        let before = req.uri.queryParameters.get("before").flatMap { Int64($0) }.map { min(max($0, 1), head + 1) } ?? head + 1
        let from = max(0, before - 1 - per)
        let records = try await governance.auditPage(after: from, limit: Int(before - 1 - from)).reversed()
        var c = v.context(nav: "audit")
        c["records"] = records.map { r -> [String: Any] in
            ["seq": r.seq, "at": ConsoleView.time(Date(unixMillis: r.at)), "actor": r.actor, "action": r.action, "target": r.target,
             "details": r.details, "hash": String(r.hash.prefix(12))]
        }
        if from > 0 { c["older"] = "/console/audit?before=\(from + 1)" }
        if before <= head { c["newer"] = "/console/audit?before=\(min(before + per, head + 1))" }
        return ConsoleView.page("console-audit", c)
    }

    /// An identity's name (its id if it is gone), looked up once per page.
    func identityName(_ id: IdentityID, _ known: inout [IdentityID: String]) async throws -> String {
        if let n = known[id] { return n }
        let n = try await governance.identity(id)?.name ?? id.description
        known[id] = n
        return n
    }

    /// A console URL with its query (nil values left out), percent-encoded.
    static func link(_ path: String, _ query: [String: String?]) -> String {
        var u = URLComponents()
        u.path = path
        u.queryItems = query.compactMap { k, v in v.map { URLQueryItem(name: k, value: $0) } }.sorted { $0.name < $1.name }
        return u.string ?? path
    }
}

/// The console's key actions: issuing and rotating answer with the one page that shows the new secret.
extension ConsoleRoutes {
    func issueKey(_ id: IdentityID, _ form: [String: String], _ v: Viewer) async throws -> Response {
        guard let environment = KeyEnvironment(rawValue: form["environment"] ?? "live") else { throw KeywardError(.validation, "environment must be live or test") }
        let scopes = (form["scopes"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0.isNewline }).map(String.init)
        var ttl: Int?
        if let days = Self.optional(form, "ttl_days") {
            guard let d = Int(days), (1...3_650).contains(d) else { throw KeywardError(.validation, "the lifetime must be a whole number of days from 1 to 3650") }
            ttl = d * 86_400
        }
        let (key, secret) = try await governance.issueKey(
            NewKey(identityID: id, scopes: scopes, environment: environment, ttlSeconds: ttl, expiresAt: nil, name: Self.optional(form, "name"),
                   nonExpiring: false, exceptionReason: nil, derivedFrom: nil, rateLimit: nil), actor: v.session.principal)
        return try await issuedPage(key, secret: secret, heading: "Key issued", graceUntil: nil, v)
    }

    func rotateKey(_ id: KeyID, _ v: Viewer) async throws -> Response {
        let (key, secret) = try await governance.rotateKey(id, graceSeconds: nil, actor: v.session.principal)
        let grace = key.versions.first { $0.version == key.currentVersion - 1 }?.graceUntil
        return try await issuedPage(key, secret: secret, heading: "Key rotated", graceUntil: grace, v)
    }

    private func issuedPage(_ key: APIKey, secret: Secret, heading: String, graceUntil: Date?, _ v: Viewer) async throws -> Response {
        var names: [IdentityID: String] = [:]
        let name = try await identityName(key.identityID, &names)
        var c = v.context(nav: "identities")
        c["heading"] = heading
        c["secret"] = secret.reveal()
        c["identityName"] = name
        c["key"] = ["id": key.id.description, "identityID": key.identityID.description, "version": key.currentVersion,
                    "scopes": key.scopes.map(\.description).joined(separator: " "),
                    "expires": key.current?.expiresAt.map(ConsoleView.time) ?? "never"] as [String: Any]
        if let graceUntil { c["graceUntil"] = ConsoleView.time(graceUntil) }
        return ConsoleView.page("console-issued", c, status: .created)
    }
}
