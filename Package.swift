// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "keyward",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keyward", targets: ["keyward"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already resolved through Hummingbird and PostgresNIO; named here for KeywardVerify's RESP client.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // Flags, then KEYWARD_* environment, then defaults, through one ConfigReader (as Hummingbird 2); no file formats needed.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Mutual TLS (RFC 8705): the presented client certificate's subject, SANs, EKU and validity.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .target(
            name: "KeywardCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CHyperscan",
            pkgConfig: "libhs",
            providers: [.apt(["libhyperscan-dev"])]
        ),
        // Archives and container images in scans (zip, tar, gzip, bzip2, xz), read from memory and streams.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .target(
            name: "KeywardScanner",
            dependencies: [
                "KeywardCore",
                "CHyperscan",
                "CArchive",
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt for baseline entries of low-entropy secrets.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/rules")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardAPI",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardStore",
            dependencies: [
                "KeywardCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardVerify",
            dependencies: [
                "KeywardCore",
                "KeywardStore",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The shared rate-limit store's RESP client (Limits/RESPClient.swift): no Redis client is in the mirror.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardOAuth",
            dependencies: [
                "KeywardCore",
                "KeywardStore",
                "KeywardVerify",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // RS256 / PS256 signatures (_RSA.Signing) for client keys.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                // RFC 8705: client certificates (tls_client_auth, certificate-bound tokens).
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                // jwks_uri: public keys fetched under an allow-list, size cap and timeout (RemoteJWKS).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardGovernance",
            dependencies: [
                "KeywardCore",
                "KeywardStore",
                "KeywardVerify",
                // Client registration validates public JWKs with the OAuth module's key policy.
                "KeywardOAuth",
                // The built-in rules' metadata (high-entropy rule ids, revocation procedures, public prefixes).
                "KeywardScanner",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Kubernetes Secret manifests (Import/).
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardServer",
            dependencies: [
                "KeywardCore",
                "KeywardScanner",
                "KeywardStore",
                "KeywardVerify",
                "KeywardGovernance",
                "KeywardOAuth",
                "KeywardAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/templates")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KeywardCLI",
            dependencies: [
                "KeywardCore",
                "KeywardStore",
                "KeywardVerify",
                // `bench token` signs client assertions with the OAuth module's base64url.
                "KeywardOAuth",
                "KeywardScanner",
                "KeywardGovernance",
                "KeywardServer",
                "KeywardAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "keyward",
            dependencies: ["KeywardCLI"],
            swiftSettings: swiftSettings,
            plugins: ["BuildRevision"]
        ),
        // Writes the git revision into the executable at build time (`keyward --version`, /metrics keyward_build_info).
        .plugin(name: "BuildRevision", capability: .buildTool()),
        .target(
            name: "KeywardTesting",
            dependencies: [
                "KeywardCore",
                "KeywardScanner",
                "KeywardStore",
                "KeywardVerify",
                "KeywardGovernance",
                "KeywardServer",
                "KeywardAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywardCoreTests",
            // KeywardGovernance: the inventory importers' pure parsers and heuristics (Import/).
            dependencies: ["KeywardCore", "KeywardGovernance"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywardStoreTests",
            dependencies: ["KeywardCore", "KeywardStore", "KeywardTesting", .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
        // The pure JOSE and RFC checks of KeywardOAuth, with keys generated at test time.
        .testTarget(
            name: "KeywardOAuthTests",
            // Crypto and _CryptoExtras: test keys are generated at test time, never committed.
            dependencies: ["KeywardOAuth", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywardGovernanceTests",
            dependencies: ["KeywardCore", "KeywardStore", "KeywardVerify", "KeywardGovernance", "KeywardOAuth", "KeywardTesting",
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywardServerTests",
            dependencies: ["KeywardCore", "KeywardStore", "KeywardVerify", "KeywardGovernance", "KeywardServer", "KeywardAPI", "KeywardTesting",
                           .product(name: "Crypto", package: "swift-crypto")],
            // The OAuth suites' Python driver, run by the tests from the source folder.
            exclude: ["OAuth/oauth_clients.py", "OAuth/oauth_driver.py", "OAuth/oauth_forge.py", "OAuth/oauth_scenarios.py", "OAuth/oauth_federation.py", "OAuth/oauth_jwks.py", "OAuth/oauth_ratelimit.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywardScannerTests",
            dependencies: ["KeywardCore", "KeywardScanner", "KeywardTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeywardCLITests",
            dependencies: ["KeywardCore", "KeywardAPI", "KeywardTesting", "KeywardCLI"],
            swiftSettings: swiftSettings
        ),
    ]
)
