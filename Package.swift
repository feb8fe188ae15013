// swift-tools-version: 6.0
import PackageDescription

// One module per layer; dependencies point one way, down this list:
// AMPSCore (tensor + BLAS) <- AMPSModel <- AMPSEngine <- AMPSMethod <- AMPSInspector <- amps
// AMPSTerminal (frame, widgets, keys, ncurses backend) knows nothing of models.
let package = Package(
    name: "amps",
    products: [
        .executable(name: "amps", targets: ["amps"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses", pkgConfig: "ncursesw",
                       providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "CKernels"),
        .target(name: "AMPSCore", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "AMPSModel", dependencies: ["AMPSCore", "CPNG", "CJPEG"]),
        // The engine interface the method runs on (ModelEngine) and its two implementations:
        // the Swift engine (LlavaModel, in process) and engines that speak docs/ENGINE_PROTOCOL.md.
        .target(name: "AMPSEngine", dependencies: ["AMPSModel"]),
        .target(name: "AMPSMethod", dependencies: ["AMPSEngine"]),
        .target(name: "AMPSTerminal", dependencies: ["CNcurses"], exclude: ["CONFIG_FORMAT.md"]),
        .target(name: "AMPSInspector", dependencies: ["AMPSMethod", "AMPSTerminal"]),
        .executableTarget(name: "amps", dependencies: [
            "AMPSInspector", "AMPSMethod", "AMPSModel", "AMPSTerminal", "AMPSEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "AMPSCoreTests", dependencies: ["AMPSCore"]),
        .target(name: "SnapshotSupport", dependencies: ["AMPSTerminal"], path: "Tests/SnapshotSupport"),
        .testTarget(name: "AMPSTerminalTests", dependencies: ["AMPSTerminal", "SnapshotSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "AMPSModelTests", dependencies: ["AMPSModel"], exclude: ["Fixtures"]),
        .testTarget(name: "AMPSInspectorTests", dependencies: ["AMPSInspector", "AMPSTerminal", "AMPSMethod", "SnapshotSupport"],
                    exclude: ["Snapshots", "Fixtures"]),
        .testTarget(name: "AMPSMethodTests", dependencies: ["AMPSMethod"], exclude: ["Fixtures"]),
        .testTarget(name: "AMPSEngineTests", dependencies: ["AMPSEngine", "AMPSMethod"]),
        // Fuzzing (docs/RELIABILITY.md): the targets' bodies, the runner (`make fuzz` builds it
        // with libFuzzer and the address sanitizer in .build/fuzz; a plain build is a replay
        // tool), and the test that replays the committed corpora and regressions.
        .target(name: "AMPSFuzzTargets", dependencies: ["AMPSMethod", "AMPSInspector", "AMPSTerminal", "AMPSEngine"], path: "Fuzz/Targets"),
        .executableTarget(name: "amps-fuzz", dependencies: ["AMPSFuzzTargets"], path: "Fuzz/Runner"),
        .testTarget(name: "AMPSFuzzTests", dependencies: ["AMPSFuzzTargets"]),
    ],
    swiftLanguageModes: [.v5]
)
