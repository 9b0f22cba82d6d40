import Foundation

/// `bench authz`'s NGINX configuration, built from the shipped block (deploy/nginx).
package enum BenchAuthzNginx {
    /// Where it listens and what it asks.
    package struct Ports: Sendable {
        package var authz, keyward, upstream, plain, ceiling, freeAuthorizer: Int
        package init(authz: Int, keyward: Int, upstream: Int, plain: Int, ceiling: Int, freeAuthorizer: Int) {
            (self.authz, self.keyward, self.upstream, self.plain, self.ceiling, self.freeAuthorizer) = (authz, keyward, upstream, plain, ceiling, freeAuthorizer)
        }
    }

    /// The bench's NGINX: `keyward-authz.conf` (the shipped block) and the main file including it,
    /// with the upstream, the no-auth proxy and the ceiling (the shipped block again, asking an
    /// authorizer that costs nothing).
    package static func configuration(shipped: String, ports p: Ports) -> (block: String, main: String) {
        // The shipped block as a gateway behind a load balancer (wrk) that sends X-Forwarded-For, so
        // Keyward sees 250 client addresses as in production rather than one.
        let block = shipped.replacingOccurrences(of: "127.0.0.1:8000", with: "127.0.0.1:\(p.authz)")
            .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(p.keyward)")
            .replacingOccurrences(of: "127.0.0.1:9000", with: "127.0.0.1:\(p.upstream)")
            .replacingOccurrences(of: "proxy_set_header X-Forwarded-For $remote_addr;", with: "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
        let main = """
            worker_processes 1;
            pid nginx.pid;
            error_log stderr error;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path client_body; proxy_temp_path proxy; fastcgi_temp_path fastcgi; uwsgi_temp_path uwsgi; scgi_temp_path scgi;
                include keyward-authz.conf;
                # The upstream: a constant answer.
                server { listen 127.0.0.1:\(p.upstream); location / { default_type application/json; return 200 '{"ok":true}'; } }
                # The same upstream with no auth.
                server { listen 127.0.0.1:\(p.plain); location / { proxy_pass http://keyward_api; proxy_http_version 1.1; proxy_set_header Connection ""; } }
                # The ceiling: the shipped block again, asking an authorizer that costs nothing.
                \(ceilingBlock(block, listen: p.ceiling, authorizer: p.freeAuthorizer))
                server { listen 127.0.0.1:\(p.freeAuthorizer); location / { add_header X-Keyward-Identity idn_bench; add_header X-Keyward-Key key_bench; add_header X-Keyward-Scopes bench:read; return 200 ''; } }
            }
            """
        return (block, main)
    }

    /// The shipped server block listening on `listen` and asking the authorizer on `authorizer`
    /// instead of Keyward; the API's upstream is the first copy's (defined once).
    private static func ceilingBlock(_ block: String, listen: Int, authorizer: Int) -> String {
        var out: [Substring] = []
        var skipping = false
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("upstream keyward_api") { skipping = true }
            if skipping {
                if line.hasPrefix("}") { skipping = false }
                continue
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
            .replacingOccurrences(of: "upstream keyward {", with: "upstream keyward_free {")
            .replacingOccurrences(of: "proxy_pass http://keyward/v1/authz;", with: "proxy_pass http://keyward_free/v1/authz;")
            // With the API's upstream dropped, Keyward's is the block's only upstream server.
            .replacingOccurrences(of: #"server 127\.0\.0\.1:\d+;"#, with: "server 127.0.0.1:\(authorizer);", options: .regularExpression)
            .replacingOccurrences(of: #"listen 127\.0\.0\.1:\d+;"#, with: "listen 127.0.0.1:\(listen);", options: .regularExpression)
            .replacingOccurrences(of: "@keyward_refused", with: "@keyward_free_refused")
    }
}
