import KeywardCore
import SQLKit

extension Store {
    /// Ordered schema steps; `kw_meta.schema_version` records how many ran. Portable SQL only
    /// (TEXT, BIGINT) so SQLite and PostgreSQL share one schema.
    package static let migrations: [[String]] = [
        [
            "CREATE TABLE identities (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, business_owner TEXT, technical_owner TEXT, purpose TEXT, environment TEXT NOT NULL, data_classification TEXT NOT NULL, labels TEXT NOT NULL, allowed_scopes TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, decommissioned_at BIGINT)",
            "CREATE INDEX identities_technical_owner ON identities (technical_owner)",
            "CREATE INDEX identities_environment ON identities (environment)",
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, identity_id TEXT NOT NULL REFERENCES identities (id), name TEXT, environment TEXT NOT NULL, scopes TEXT NOT NULL, status TEXT NOT NULL, current_version BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revoked_at BIGINT, revoke_reason TEXT, last_used_at BIGINT)",
            "CREATE INDEX api_keys_identity ON api_keys (identity_id)",
            "CREATE TABLE api_key_versions (key_id TEXT NOT NULL REFERENCES api_keys (id), version BIGINT NOT NULL, digest TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL, prefix TEXT NOT NULL, expires_at BIGINT, created_at BIGINT NOT NULL, grace_until BIGINT, PRIMARY KEY (key_id, version))",
            "CREATE TABLE key_usage (key_id TEXT NOT NULL, outcome TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (key_id, outcome))",
            "CREATE TABLE key_sources (key_id TEXT NOT NULL, source_id TEXT NOT NULL, ip TEXT, user_agent TEXT, client_cert_subject TEXT, client_cert_thumbprint TEXT, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (key_id, source_id))",
            "CREATE TABLE audit_log (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
            "CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\(AuditRecord.genesisHash)')",
        ],
        [
            // Exposures reported by scanners and leak intelligence; matching comes later.
            "CREATE TABLE exposures (id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, received_at BIGINT NOT NULL, source TEXT NOT NULL, rule_id TEXT NOT NULL, provider TEXT, digest TEXT, scanner_fingerprint TEXT, path TEXT, line BIGINT, commit_id TEXT, url TEXT, first_seen BIGINT, reporter TEXT NOT NULL)",
            "CREATE INDEX exposures_digest ON exposures (digest)",
        ],
        [
            // Issue 5: what a leak is matched against, what happened, and who is told.
            "ALTER TABLE exposures ADD COLUMN classification TEXT",
            "ALTER TABLE exposures ADD COLUMN target_id TEXT",
            "ALTER TABLE exposures ADD COLUMN incident_id TEXT",
            // HMAC under the server's key, for intelligence that arrived as plaintext.
            "ALTER TABLE exposures ADD COLUMN server_fingerprint TEXT",
            "CREATE INDEX exposures_target ON exposures (target_id)",
            "CREATE TABLE credentials (id TEXT PRIMARY KEY, identity_id TEXT NOT NULL REFERENCES identities (id), name TEXT NOT NULL, provider TEXT NOT NULL, rule_id TEXT, environment TEXT NOT NULL, fingerprint TEXT NOT NULL, digest TEXT, prefix TEXT NOT NULL, origin TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE UNIQUE INDEX credentials_identity_fingerprint ON credentials (identity_id, fingerprint)",
            "CREATE INDEX credentials_fingerprint ON credentials (fingerprint)",
            "CREATE INDEX credentials_digest ON credentials (digest)",
            "CREATE TABLE consumers (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, environment TEXT NOT NULL, contact TEXT, created_at BIGINT NOT NULL)",
            "CREATE TABLE consumer_holdings (consumer_id TEXT NOT NULL REFERENCES consumers (id), target_id TEXT NOT NULL, PRIMARY KEY (consumer_id, target_id))",
            "CREATE INDEX consumer_holdings_target ON consumer_holdings (target_id)",
            // A credential minted from another (a derived key now; OAuth tokens later): revoking the parent revokes it.
            "CREATE TABLE derived_credentials (parent_id TEXT NOT NULL, child_kind TEXT NOT NULL, child_id TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (parent_id, child_id))",
            "CREATE TABLE key_usage_hourly (key_id TEXT NOT NULL, hour BIGINT NOT NULL, outcome TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (key_id, hour, outcome))",
            "CREATE TABLE key_scope_usage (key_id TEXT NOT NULL, scope TEXT NOT NULL, count BIGINT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, PRIMARY KEY (key_id, scope))",
            "CREATE TABLE incidents (id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, status TEXT NOT NULL, target_kind TEXT NOT NULL, target_id TEXT NOT NULL, target_version BIGINT, identity_id TEXT NOT NULL, environment TEXT NOT NULL, source TEXT NOT NULL, classification TEXT NOT NULL, action TEXT NOT NULL, received_at BIGINT NOT NULL, matched_at BIGINT NOT NULL, contained_at BIGINT, notified_at BIGINT, exposure_count BIGINT NOT NULL, blast_radius TEXT NOT NULL, hunt TEXT NOT NULL, guidance TEXT NOT NULL, events TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE INDEX incidents_target ON incidents (target_id)",
            // A receiver URL may itself be a credential (Slack's incoming webhooks): kept sealed, shown as scheme://host/….
            "CREATE TABLE webhooks (id TEXT PRIMARY KEY, url_sealed TEXT NOT NULL, url_display TEXT NOT NULL, secret_sealed TEXT NOT NULL, events TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE TABLE webhook_deliveries (id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, last_status BIGINT, last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT)",
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at)",
            // Keys already announced as expiring soon (one webhook per key version).
            "CREATE TABLE expiry_notices (key_id TEXT NOT NULL, version BIGINT NOT NULL, sent_at BIGINT NOT NULL, PRIMARY KEY (key_id, version))",
        ],
        [
            // Issue 10: SHA-256 of a possession proof (KeywardCore.PossessionProof); null for versions issued before.
            "ALTER TABLE api_key_versions ADD COLUMN possession_check TEXT",
        ],
        [
            // Issue 11: the classification `live` (a key verify still accepts) is now `valid`.
            "UPDATE incidents SET classification = 'valid' WHERE classification = 'live'",
            "UPDATE exposures SET classification = 'valid' WHERE classification = 'live'",
            // Incidents are listed newest first (they were listed by random id).
            "CREATE INDEX incidents_created ON incidents (created_at, id)",
        ],
        [
            // Issue 13: OAuth clients, the tokens they hold (never the token text: its SHA-256),
            // the replay caches for assertion and DPoP `jti`s, and the token-signing keys (sealed).
            "CREATE TABLE oauth_clients (id TEXT PRIMARY KEY, identity_id TEXT NOT NULL REFERENCES identities (id), name TEXT, auth_method TEXT NOT NULL, public_keys TEXT NOT NULL, key_thumbprints TEXT NOT NULL, scopes TEXT NOT NULL, environment TEXT NOT NULL, dpop_bound BIGINT NOT NULL, certificate_bound BIGINT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revoked_at BIGINT, revoke_reason TEXT)",
            "CREATE INDEX oauth_clients_identity ON oauth_clients (identity_id)",
            "CREATE TABLE oauth_client_keys (thumbprint TEXT NOT NULL, client_id TEXT NOT NULL, PRIMARY KEY (thumbprint, client_id))",
            "CREATE TABLE oauth_tokens (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, identity_id TEXT NOT NULL, scopes TEXT NOT NULL, digest TEXT NOT NULL, binding TEXT, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT, revoke_reason TEXT)",
            "CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id, expires_at)",
            "CREATE INDEX oauth_tokens_digest ON oauth_tokens (digest)",
            "CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at)",
            "CREATE TABLE oauth_replay (scope TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (scope, jti))",
            "CREATE INDEX oauth_replay_expires ON oauth_replay (expires_at)",
            // A leaked private key is reported by the RFC 7638 thumbprint of its public half, never the key.
            "ALTER TABLE exposures ADD COLUMN key_thumbprint TEXT",
            "CREATE TABLE oauth_signing_keys (kid TEXT PRIMARY KEY, sealed_private_key TEXT NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT, publish_until BIGINT)",
            // RFC 8705 §2.1.2: how a tls_client_auth client's certificate is recognised (one of the two).
            "ALTER TABLE oauth_clients ADD COLUMN tls_subject_dn TEXT",
            "ALTER TABLE oauth_clients ADD COLUMN tls_san_dns TEXT",
        ],
        [
            // Issue 13, part 3: private_key_jwt keys fetched from a jwks_uri; the CA a tls_client_auth
            // client's certificate must chain to (RFC 8705 §7.4); a workload-federation trust (JSON).
            "ALTER TABLE oauth_clients ADD COLUMN jwks_uri TEXT",
            "ALTER TABLE oauth_clients ADD COLUMN tls_ca_thumbprint TEXT",
            "ALTER TABLE oauth_clients ADD COLUMN workload_trust TEXT",
        ],
        [
            // Issue 14: an identity's or a key's own rate limit (JSON {limit, periodSeconds, burst}; null: the policy's).
            "ALTER TABLE identities ADD COLUMN rate_limit TEXT",
            "ALTER TABLE api_keys ADD COLUMN rate_limit TEXT",
        ],
        [
            // Issue 15 (detection): what the detectors at the verify point found, what the policy did.
            "CREATE TABLE detections (id TEXT PRIMARY KEY, detector TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, key_id TEXT, client_id TEXT, identity_id TEXT, environment TEXT, source TEXT, at BIGINT NOT NULL, evidence TEXT NOT NULL, incident_id TEXT, blocked_until BIGINT, released_at BIGINT, released_by TEXT, release_reason TEXT)",
            "CREATE INDEX detections_at ON detections (at)",
            "CREATE INDEX detections_key ON detections (key_id)",
            "CREATE INDEX detections_identity ON detections (identity_id)",
        ],
        [
            // Issue 15 (rotation): each source's use of each key version (the anonymous source
            // too: every column null); each rotation's window, its hard maximum and how it closed;
            // the exact source attributes a declared consumer is recognised by.
            "CREATE TABLE key_version_sources (key_id TEXT NOT NULL, version BIGINT NOT NULL, source_id TEXT NOT NULL, ip TEXT, user_agent TEXT, client_cert_subject TEXT, client_cert_thumbprint TEXT, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (key_id, version, source_id))",
            "CREATE TABLE key_rotations (key_id TEXT NOT NULL, from_version BIGINT NOT NULL, to_version BIGINT NOT NULL, rotated_at BIGINT NOT NULL, quiet_period_ms BIGINT NOT NULL, hard_maximum_at BIGINT NOT NULL, extensions BIGINT NOT NULL, closed_at BIGINT, close_reason TEXT, PRIMARY KEY (key_id, from_version))",
            "CREATE TABLE consumer_sources (consumer_id TEXT NOT NULL, position BIGINT NOT NULL, ip TEXT, user_agent TEXT, client_cert_subject TEXT, client_cert_thumbprint TEXT, PRIMARY KEY (consumer_id, position))",
        ],
        [
            // Issue 17: one posture snapshot per UTC day (the last computed that day), for the trend.
            "CREATE TABLE posture_snapshots (day TEXT PRIMARY KEY, taken_at BIGINT NOT NULL, overall BIGINT, risks TEXT NOT NULL)",
        ],
        [
            // Issue 17: owners' confirmations of their identities (recertification), newest wins; the
            // review.due reminders sent, so one goes out per identity per week while it is due.
            "CREATE TABLE identity_reviews (identity_id TEXT NOT NULL, confirmed_at BIGINT NOT NULL, confirmed_by TEXT NOT NULL, note TEXT, PRIMARY KEY (identity_id, confirmed_at))",
            "CREATE TABLE review_reminders (identity_id TEXT NOT NULL, sent_at BIGINT NOT NULL, PRIMARY KEY (identity_id, sent_at))",
        ],
        [
            // Issue 17: console sessions, by the SHA-256 of their cookie (never the cookie itself), so
            // any node can check one and signing out (or revoking the key) ends it everywhere.
            "CREATE TABLE console_sessions (id_hash TEXT PRIMARY KEY, key_id TEXT NOT NULL, is_admin BIGINT NOT NULL, created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT)",
            "CREATE INDEX console_sessions_key ON console_sessions (key_id)",
        ],
        [
            // The webhook dispatcher's expiry check (once a minute) reads the versions expiring within
            // a week; without this it scanned every key (100,000 in `bench verify`: a burst of CPU
            // each minute that showed in verify's p99).
            "CREATE INDEX api_key_versions_expires ON api_key_versions (expires_at)",
        ],
    ]

    package func migrate() async throws {
        try await read { db in
            try await db.raw("CREATE TABLE IF NOT EXISTS kw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)").run()
            if isPostgres {
                // Serialise concurrent first starts of several nodes.
                try await db.raw("SELECT pg_advisory_lock(7420001)").run()
            }
            do {
                let row = try await db.raw("SELECT value FROM kw_meta WHERE key = 'schema_version'").first()
                let done = try Int(row?.decode(column: "value", as: String.self) ?? "0") ?? 0
                if done < Store.migrations.count {
                    try await db.raw(isPostgres ? "BEGIN" : "BEGIN IMMEDIATE").run()
                    do {
                        for step in Store.migrations[done...] {
                            for sql in step { try await db.raw(SQLQueryString(sql)).run() }
                        }
                        let v = String(Store.migrations.count)
                        try await db.raw("DELETE FROM kw_meta WHERE key = 'schema_version'").run()
                        try await db.raw("INSERT INTO kw_meta (key, value) VALUES ('schema_version', \(bind: v))").run()
                        try await db.raw("COMMIT").run()
                    } catch {
                        try? await db.raw("ROLLBACK").run()
                        throw error
                    }
                }
            } catch {
                if isPostgres { try? await db.raw("SELECT pg_advisory_unlock(7420001)").run() }
                throw error
            }
            if isPostgres { try await db.raw("SELECT pg_advisory_unlock(7420001)").run() }
        }
    }

    /// A value from `kw_meta`.
    package func meta(_ key: String) async throws -> String? {
        try await read { db in
            try await db.raw("SELECT value FROM kw_meta WHERE key = \(bind: key)").first()?.decode(column: "value", as: String.self)
        }
    }
}
