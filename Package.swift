// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// Release executables that serve (and the bench that measures serving) link with lld and packed relative relocations
// (glibc 2.36+): gold's 2 MB table of them is read at every start and stays resident; packed, it is 18 KB
// (reports/memory.md).
let packedRelocations: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
        .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "VividCrowd",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "VividCrowdCore", targets: ["VividCrowdCore"]),
        .library(name: "VividCrowdEvaluation", targets: ["VividCrowdEvaluation"]),
        .library(name: "VividCrowdTesting", targets: ["VividCrowdTesting"]),
        .executable(name: "vividcrowd-server", targets: ["vividcrowd-server"]),
        .executable(name: "vividcrowd-sim", targets: ["vividcrowd-sim"]),
        .executable(name: "vividcrowd-bench", targets: ["vividcrowd-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(name: "CVectorKernels", path: "Sources/CVectorKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // hnswlib (Debian's header-only libhnswlib-dev) behind a C interface; AVX2 + FMA, as on every machine we run on.
        .target(name: "CHNSW", path: "Sources/CHNSW", cxxSettings: [.unsafeFlags(["-O3", "-mavx2", "-mfma"])]),
        // MuPDF behind a C shim (its errors are longjmps); its static libraries in the order they resolve.
        .target(
            name: "CMuPDF",
            path: "Sources/CMuPDF",
            linkerSettings: [
                "mupdf", "mupdf-third", "harfbuzz", "freetype", "jbig2dec", "openjp2", "jpeg", "gumbo", "mujs", "z", "m",
            ].map { .linkedLibrary($0) }
        ),
        // Offline speech: espeak-ng (synthesis) and pocketsphinx (recognition) behind a C shim (variadic and callback APIs).
        .target(
            name: "CSpeech",
            path: "Sources/CSpeech",
            cSettings: [
                .unsafeFlags([
                    "-I/usr/include/pocketsphinx", "-I/usr/include/sphinxbase",
                    "-I/usr/include/x86_64-linux-gnu/sphinxbase", "-I/usr/include/aarch64-linux-gnu/sphinxbase",
                ])
            ],
            linkerSettings: ["espeak-ng", "pocketsphinx", "sphinxbase"].map { .linkedLibrary($0) }
        ),
        // The offline speech providers; linked only by the executables that speak and listen (the server, the bench).
        .target(
            name: "VividCrowdSpeech",
            dependencies: ["VividCrowdCore", "CSpeech"],
            path: "Sources/Speech",
            swiftSettings: swiftSettings
        ),
        // PDF text through MuPDF and XLSX sheets through ZIPFoundation and FoundationXML; linked only by the executables
        // that read documents (the server, for twins and sales materials; MuPDF adds ~40 MB of fonts).
        .target(
            name: "VividCrowdDocuments",
            dependencies: ["VividCrowdCore", "CMuPDF", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Sources/Documents",
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL store (PostgresNIO): linked by the server and the tests, not by the embedded tools.
        .target(
            name: "VividCrowdPostgres",
            dependencies: [
                "VividCrowdCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Postgres",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VividCrowdCore",
            dependencies: [
                "CSQLite",
                "COpenBLAS",
                "CVectorKernels",
                "CHNSW",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Sources/Core",
            swiftSettings: swiftSettings
        ),
        // Benchmarks, scenarios and the simulator's drivers: linked by the sim and bench tools, not by the server.
        .target(
            name: "VividCrowdEvaluation",
            dependencies: ["VividCrowdCore"],
            path: "Sources/Evaluation",
            swiftSettings: swiftSettings
        ),
        // Test helpers both test suites share: LLM doubles and fixtures, store backends, temporary folders.
        .target(
            name: "VividCrowdTesting",
            dependencies: ["VividCrowdCore", "VividCrowdPostgres", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Testing",
            swiftSettings: swiftSettings
        ),
        // Readers of wire formats the server takes apart itself (multipart uploads); Foundation only, so the fuzz
        // target links them without the HTTP stack.
        .target(name: "VividCrowdWire", path: "Sources/Wire", swiftSettings: swiftSettings),
        .executableTarget(
            name: "vividcrowd-server",
            dependencies: [
                "VividCrowdCore",
                "VividCrowdDocuments",
                "VividCrowdPostgres",
                "VividCrowdSpeech",
                "VividCrowdWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Server",
            resources: [.copy("Public")],
            swiftSettings: swiftSettings,
            linkerSettings: packedRelocations
        ),
        // Fuzz targets for the parsers of outside input; scripts/fuzz.sh builds them with libFuzzer.
        .executableTarget(
            name: "vividcrowd-fuzz",
            dependencies: ["VividCrowdCore", "VividCrowdDocuments", "VividCrowdWire"],
            path: "Sources/Fuzz",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vividcrowd-sim",
            dependencies: [
                "VividCrowdCore",
                "VividCrowdDocuments",
                "VividCrowdEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            path: "Sources/Sim",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vividcrowd-bench",
            dependencies: [
                "VividCrowdCore",
                "VividCrowdDocuments",
                "VividCrowdSpeech",
                "VividCrowdEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Bench",
            swiftSettings: swiftSettings,
            linkerSettings: packedRelocations
        ),
        .testTarget(
            name: "VividCrowdCoreTests",
            dependencies: [
                "VividCrowdCore",
                "VividCrowdEvaluation",
                "VividCrowdPostgres",
                "VividCrowdTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Tests/VividCrowdCoreTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VividCrowdDocumentsTests",
            dependencies: ["VividCrowdDocuments", "VividCrowdCore", "VividCrowdTesting", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/VividCrowdDocumentsTests",
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VividCrowdSpeechTests",
            dependencies: ["VividCrowdSpeech", "VividCrowdCore", "VividCrowdTesting"],
            path: "Tests/VividCrowdSpeechTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VividCrowdServerTests",
            dependencies: [
                "vividcrowd-server",
                "VividCrowdCore",
                "VividCrowdTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tests/VividCrowdServerTests",
            swiftSettings: swiftSettings
        ),
    ]
)
