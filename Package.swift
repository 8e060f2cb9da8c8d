// swift-tools-version:6.0
// GAP-style machine-learning interatomic potentials, trained end to end in Swift.
//
// The module graph is a picture of the pipeline:
//   AtomicStructures (structures, labels, extended XYZ I/O)
//     -> NeighbourLists (periodic cell lists)
//       -> Descriptors (SOAP power spectrum, 2-body distances, with gradients)
//         -> SparseGP (sparse-point selection, kernels, regression, model files)
//           -> Training (declarative configs, the fit pipeline)
//   LinearAlgebra wraps OpenBLAS/LAPACKE (CLapack) for everything above.
//   The executables in Sources/gap-* are thin shells over these libraries.
import PackageDescription

/// Swift 5 language mode: the numeric kernels share unsafe buffers across Dispatch workers
/// by design (disjoint writes), which the Swift 6 checker cannot prove.
let languageMode: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "SwiftGAP",
    products: [
        .library(name: "AtomicStructures", targets: ["AtomicStructures"]),
        .library(name: "NeighbourLists", targets: ["NeighbourLists"]),
        .library(name: "Descriptors", targets: ["Descriptors"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "DataAudit", targets: ["DataAudit"]),
        .executable(name: "gap-data", targets: ["gap-data"]),
        .executable(name: "gap-train", targets: ["gap-train"]),
        .executable(name: "gap-predict", targets: ["gap-predict"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // System library: CBLAS + LAPACKE (apt-get install libopenblas-dev liblapacke-dev).
        .systemLibrary(
            name: "CLapack",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "LinearAlgebra", dependencies: ["CLapack"], swiftSettings: languageMode),
        .target(
            name: "AtomicStructures",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: languageMode
        ),
        .target(name: "NeighbourLists", dependencies: ["AtomicStructures"], swiftSettings: languageMode),
        .target(
            name: "Descriptors",
            dependencies: ["AtomicStructures", "NeighbourLists", "LinearAlgebra"],
            swiftSettings: languageMode
        ),
        .target(
            name: "DataAudit",
            dependencies: ["AtomicStructures", "NeighbourLists"],
            swiftSettings: languageMode
        ),
        .target(
            name: "CommandLineSupport",
            dependencies: ["AtomicStructures"],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-data",
            dependencies: [
                "AtomicStructures", "DataAudit", "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-train",
            dependencies: [
                "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-predict",
            dependencies: [
                "CommandLineSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"], swiftSettings: languageMode),
        .testTarget(
            name: "AtomicStructuresTests",
            dependencies: ["AtomicStructures"],
            resources: [.copy("Fixtures")],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "NeighbourListsTests",
            dependencies: ["NeighbourLists", "AtomicStructures"],
            swiftSettings: languageMode
        ),
    ]
)
