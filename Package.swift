// swift-tools-version:6.1
// GAP-style machine-learning interatomic potentials, trained end to end in Swift.
//
// The module graph is a picture of the pipeline (each module depends only on those above it):
//   Support           the base: input errors, checked file reading, atomic writes, SHA-256/MD5/CRC-32
//                     (CCRC32: its carry-less-multiplication fold in C), the seeded generators,
//                     text formatting
//   JSON              JSON with comments: parser with source positions; canonical and insertion-order writer
//   LinearAlgebra     every BLAS/LAPACK call (CLapack), Matrix wrappers and RawBLAS for the kernels
//   Parallelism       deterministic threading, progress reporting
//   MessagePassing    the ranks of a run: one process, or MPI (package trait MPI: CMPI), and the
//                     least-squares factor distributed over ranks (ScaLAPACK: CScaLAPACK)
//   AtomicStructures  structures, labels, extended XYZ I/O
//   NeighbourLists    periodic cell lists
//   Descriptors       SOAP power spectrum (and its body-order relatives), the 2-body pair distances
//                     and angle_3b's 3-body triplets,
//                     with position/strain gradients; SOAPKeys, the one table of SOAP keys and defaults
//                     (CSOAPKernels: its hot loops in AVX-512 C, chosen at run time)
//   Kernels           the kernels (SOAP dot product, 2- and 3-body squared exponential): design rows,
//                     sparse covariances and per-term predictions (CSOAPKernels: prediction's
//                     elementwise pass)
//   Prediction        a fitted Potential and its evaluation: batch prediction, predictive
//                     uncertainty, error statistics (links no training code: gap-predict, MD engines)
//   GAPXML            gap_fit's XML models, read into and written from a Potential
//   ModelFiles        versioned, self-contained model files (a Potential plus provenance)
//   CLibrary          libSwiftGAP.so, the C interface (include/swiftgap.h) MD engines link
//   Configuration     declarative JSON training configs, validated before any work
//   Selection         sparse points: CUR, FPS, random, uniform, index files
//   Training          the fit pipeline tying the above together
//   CrossValidation   k-fold cross-validation, learning curves, sweeps and their reports (gap-cv)
//   Tuning            hyper-parameter search by cross-validation: successive halving (gap-tune)
//   DataAudit         dataset summaries and checks (gap-data)
//   ArrayFiles        NumPy .npy/.npz writing (streamed) and reading; FeatureExport: gap-features
//   CommandLineSupport  options and error reporting shared by the executables
// The executables in Sources/gap-* are thin shells over these libraries. Tests mirror the
// modules (Tests/<Module>Tests), share Tests/TestSupport, and the command-line tools' end-to-end
// tests are in Tests/CommandLineTests.
import PackageDescription

/// Swift 5 language mode: the numeric kernels share unsafe buffers across Dispatch workers
/// by design (disjoint writes), which the Swift 6 checker cannot prove.
/// MemberImportVisibility: a file sees members (methods, properties, operators) only of modules
/// it imports itself, so every target's imports, and with them the dependency lists below,
/// stay exactly what it uses.
let languageMode: [SwiftSetting] = [.swiftLanguageMode(.v5), .enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "SwiftGAP",
    products: [
        .library(name: "AtomicStructures", targets: ["AtomicStructures"]),
        .library(name: "NeighbourLists", targets: ["NeighbourLists"]),
        .library(name: "Descriptors", targets: ["Descriptors"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
        .library(name: "DataAudit", targets: ["DataAudit"]),
        .library(name: "Selection", targets: ["Selection"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Prediction", targets: ["Prediction"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "GAPXML", targets: ["GAPXML"]),
        .library(name: "ModelFiles", targets: ["ModelFiles"]),
        .library(name: "Configuration", targets: ["Configuration"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "ArrayFiles", targets: ["ArrayFiles"]),
        .library(name: "FeatureExport", targets: ["FeatureExport"]),
        .library(name: "CrossValidation", targets: ["CrossValidation"]),
        .library(name: "Tuning", targets: ["Tuning"]),
        // libSwiftGAP.so: the C library MD engines link (include/swiftgap.h).
        .library(name: "SwiftGAP", type: .dynamic, targets: ["CLibrary"]),
        .executable(name: "gap-data", targets: ["gap-data"]),
        .executable(name: "gap-train", targets: ["gap-train"]),
        .executable(name: "gap-predict", targets: ["gap-predict"]),
        .executable(name: "gap-export", targets: ["gap-export"]),
        .executable(name: "gap-cv", targets: ["gap-cv"]),
        .executable(name: "gap-features", targets: ["gap-features"]),
        .executable(name: "gap-tune", targets: ["gap-tune"]),
        .executable(name: "gap-bench", targets: ["gap-bench"]),
    ],
    // `swift build --traits MPI` adds MPI and ScaLAPACK (apt-get install openmpi-bin libopenmpi-dev
    // libscalapack-openmpi-dev):
    // `mpirun -np N gap-train CONFIG` fits on N ranks. The default build needs no MPI.
    traits: [
        .trait(name: "MPI", description: "Distributed fits over MPI (gap-train under mpirun); needs Open MPI's development files."),
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
        // CRC-32 folding with carry-less multiplication (x86-64), for Support's CRC32.
        .target(name: "CCRC32"),
        // The base every module may use: text formatting (more shared pieces join it).
        .target(name: "Support", dependencies: ["CCRC32"], swiftSettings: languageMode),
        .target(name: "Parallelism", dependencies: ["Support"], swiftSettings: languageMode),
        // System library: MPI through Open MPI's pkg-config file, only with the trait MPI.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // System library: ScaLAPACK and BLACS over Open MPI, only with the trait MPI.
        .systemLibrary(
            name: "CScaLAPACK",
            pkgConfig: "scalapack-openmpi",
            providers: [.apt(["libscalapack-openmpi-dev"])]
        ),
        .target(
            name: "MessagePassing",
            dependencies: [
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
                .target(name: "CScaLAPACK", condition: .when(traits: ["MPI"])),
            ],
            swiftSettings: languageMode
        ),
        // OpenBLAS kernel re-selection when its CPU detection falls back below AVX2 (C, weak symbols).
        .target(name: "COpenBLASCore"),
        .target(name: "LinearAlgebra", dependencies: ["CLapack", "COpenBLASCore"], swiftSettings: languageMode),
        .target(
            name: "AtomicStructures",
            dependencies: [
                "JSON", "Support", .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: languageMode
        ),
        .target(name: "NeighbourLists", dependencies: ["AtomicStructures", "Support"], swiftSettings: languageMode),
        // The SOAP expansion's two per-pair loops eight doubles wide (AVX-512, chosen at run time).
        .target(name: "CSOAPKernels"),
        .target(
            name: "Descriptors",
            dependencies: ["AtomicStructures", "CSOAPKernels", "LinearAlgebra", "NeighbourLists", "Parallelism", "Support"],
            swiftSettings: languageMode
        ),
        .target(
            name: "Selection",
            dependencies: ["AtomicStructures", "LinearAlgebra", "Parallelism", "Support"],
            swiftSettings: languageMode
        ),
        .target(
            name: "Kernels",
            dependencies: ["AtomicStructures", "CSOAPKernels", "Descriptors", "LinearAlgebra", "NeighbourLists", "Support"],
            swiftSettings: languageMode
        ),
        // Everything an MD engine needs to evaluate a fitted model; nothing of training.
        .target(
            name: "Prediction",
            dependencies: [
                "AtomicStructures", "Descriptors", "Kernels", "LinearAlgebra", "NeighbourLists",
                "Parallelism", "Support", .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: languageMode
        ),
        .target(name: "JSON", dependencies: ["Support"], swiftSettings: languageMode),
        // The C interface of libSwiftGAP (include/swiftgap.h): model loading and evaluation for MD
        // engines (ASE, LAMMPS), on Prediction and ModelFiles only.
        .target(
            name: "CLibrary",
            dependencies: ["AtomicStructures", "Kernels", "ModelFiles", "Parallelism", "Prediction", "Support"],
            swiftSettings: languageMode
        ),
        // QUIP/GAP XML models (gap_fit's format) read into and written from a Potential.
        .target(
            name: "GAPXML",
            dependencies: ["AtomicStructures", "Descriptors", "Kernels", "Prediction", "Support"],
            swiftSettings: languageMode
        ),
        // A model file is a Potential plus provenance, so it sits on Prediction (not the reverse):
        // loading a model gives the Potential that predicts.
        .target(
            name: "ModelFiles",
            dependencies: [
                "AtomicStructures", "Descriptors", "GAPXML", "JSON", "Kernels", "Parallelism", "Prediction", "Support",
            ],
            swiftSettings: languageMode
        ),
        .target(
            name: "Configuration",
            dependencies: ["AtomicStructures", "Descriptors", "JSON", "Support"],
            swiftSettings: languageMode
        ),
        .target(
            name: "Training",
            dependencies: [
                "AtomicStructures", "Configuration", "Descriptors", "JSON", "Kernels", "LinearAlgebra",
                "MessagePassing", "ModelFiles", "NeighbourLists", "Parallelism", "Prediction", "Selection", "Support",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: languageMode
        ),
        // K-fold cross-validation of a training config, with learning curves, sweeps and reports (gap-cv).
        .target(
            name: "CrossValidation",
            dependencies: [
                "AtomicStructures", "Configuration", "Descriptors", "JSON", "Kernels", "LinearAlgebra",
                "ModelFiles", "NeighbourLists", "Parallelism", "Prediction", "Selection", "Support",
                "Training", .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: languageMode
        ),
        // Hyper-parameter search by k-fold cross-validation (gap-tune).
        .target(
            name: "Tuning",
            dependencies: [
                "AtomicStructures", "Configuration", "CrossValidation", "Descriptors", "JSON", "Parallelism", "Prediction",
                "Selection", "Support", "Training",
            ],
            swiftSettings: languageMode
        ),
        .target(
            name: "DataAudit",
            dependencies: [
                "AtomicStructures", "JSON", "NeighbourLists", "Support",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: languageMode
        ),
        .target(name: "ArrayFiles", dependencies: ["AtomicStructures", "Parallelism", "Support"], swiftSettings: languageMode),
        .target(
            name: "FeatureExport",
            dependencies: [
                "ArrayFiles", "AtomicStructures", "Configuration", "Descriptors", "JSON", "LinearAlgebra", "Parallelism",
                "Selection", "Support",
            ],
            swiftSettings: languageMode
        ),
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "AtomicStructures", "Parallelism", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-data",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "DataAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-train",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "Configuration", "LinearAlgebra", "MessagePassing", "ModelFiles",
                "Parallelism", "Support", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-predict",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "Kernels", "ModelFiles", "Parallelism",
                "Prediction", "Support", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        // Converts models between SwiftGAP's format and QUIP/GAP XML (gap-export).
        .executableTarget(
            name: "gap-export",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "GAPXML", "ModelFiles", "Prediction", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-cv",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "Configuration", "CrossValidation", "Parallelism",
                "Prediction", "Support", "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-tune",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "Configuration", "CrossValidation", "JSON",
                "Parallelism", "Support", "Training", "Tuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        .executableTarget(
            name: "gap-features",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "Configuration", "Descriptors", "FeatureExport",
                "LinearAlgebra", "Parallelism", "Support", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        // Release-build timing harness used by the scripts in Benchmarks/.
        .executableTarget(
            name: "gap-bench",
            dependencies: [
                "AtomicStructures", "CommandLineSupport", "Descriptors", "JSON", "Kernels", "LinearAlgebra",
                "ModelFiles", "NeighbourLists", "Parallelism", "Prediction", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: languageMode
        ),
        // Shared by the test targets: package root, scratch directories, process runners, built
        // executables, seeded test numbers (the library's SplitMix64).
        .target(name: "TestSupport", dependencies: ["Support"], path: "Tests/TestSupport", swiftSettings: languageMode),
        // End-to-end tests of the command-line tools: they run the built executables (found next to
        // the test bundle; `swift test` builds every product first), so they need no dependency
        // on the executable targets.
        .testTarget(name: "CommandLineTests", dependencies: ["ModelFiles", "TestSupport", "Training"], swiftSettings: languageMode),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestSupport"], swiftSettings: languageMode),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "Support"], swiftSettings: languageMode),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "Parallelism", "Support", "TestSupport"], swiftSettings: languageMode),
        .testTarget(
            name: "AtomicStructuresTests",
            dependencies: [
                "AtomicStructures", "Support", "TestSupport",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "KernelsTests",
            dependencies: [
                "AtomicStructures", "CSOAPKernels", "Descriptors", "Kernels", "NeighbourLists", "Support", "TestSupport",
            ],
            swiftSettings: languageMode
        ),
        // Reads Fixtures/ by path (made once by Fixtures/make_gap_xml_fixtures.py with gap_fit and quippy);
        // Compiles Tests/CLibraryTests/swiftgap_test.c against include/swiftgap.h and libSwiftGAP.so.
        .testTarget(
            name: "CLibraryTests",
            dependencies: ["AtomicStructures", "Kernels", "ModelFiles", "Prediction", "Support", "TestSupport"],
            exclude: ["swiftgap_test.c"],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "PredictionTests",
            dependencies: ["AtomicStructures", "Descriptors", "Kernels", "ModelFiles", "NeighbourLists", "Prediction", "TestSupport"],
            swiftSettings: languageMode
        ),
        // QuippyLiveTests also runs real quippy (Scripts/quippy_predict.py; .ci/run installs quippy-ase).
        .testTarget(
            name: "GAPXMLTests",
            dependencies: [
                "AtomicStructures", "Configuration", "Descriptors", "GAPXML", "Kernels", "ModelFiles",
                "Prediction", "Support", "TestSupport", "Training",
            ],
            exclude: ["Fixtures", "Scripts"],
            swiftSettings: languageMode
        ),
        // The adversarial suite of issue 15 (one test per defect found by a hostile user): runs
        // the built tools (found next to the test bundle) as well as the libraries.
        .testTarget(
            name: "AdversarialTests",
            dependencies: [
                "Configuration", "LinearAlgebra", "ModelFiles", "Support", "TestSupport", "Training",
            ],
            swiftSettings: languageMode
        ),
        .testTarget(name: "ModelFilesTests", dependencies: ["AtomicStructures", "ModelFiles", "Prediction", "Support"], swiftSettings: languageMode),
        .testTarget(name: "ParallelismTests", dependencies: ["Parallelism"], swiftSettings: languageMode),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "AtomicStructures", "Configuration", "Descriptors", "JSON", "Kernels", "LinearAlgebra",
                "ModelFiles", "NeighbourLists", "Parallelism", "Prediction", "Selection", "Support",
                "TestSupport", "Training", .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "CrossValidationTests",
            dependencies: [
                "AtomicStructures", "Configuration", "CrossValidation", "Descriptors", "Kernels",
                "ModelFiles", "Prediction", "Support", "TestSupport", "Training",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            exclude: ["Scripts"],
            swiftSettings: languageMode
        ),
        // Search logic on synthetic objectives, and the built `gap-tune` end to end.
        .testTarget(
            name: "TuningTests",
            dependencies: [
                "AtomicStructures", "Configuration", "CrossValidation", "Descriptors", "JSON", "Kernels", "Prediction", "TestSupport", "Training",
                "Tuning",
            ],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "ConfigurationTests",
            dependencies: ["AtomicStructures", "Configuration", "Descriptors", "Support", "TestSupport"],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "SelectionTests",
            dependencies: ["AtomicStructures", "LinearAlgebra", "Selection", "Support"],
            resources: [.copy("Fixtures")],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "DescriptorsTests",
            dependencies: ["AtomicStructures", "CSOAPKernels", "Descriptors", "NeighbourLists", "Support", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "NeighbourListsTests",
            dependencies: ["AtomicStructures", "NeighbourLists", "Support"],
            swiftSettings: languageMode
        ),
        .testTarget(name: "ArrayFilesTests", dependencies: ["ArrayFiles", "AtomicStructures", "Support", "TestSupport"], swiftSettings: languageMode),
        // Also runs the built `gap-features` executable (found like gap-data's, below).
        .testTarget(
            name: "FeatureExportTests",
            dependencies: [
                "ArrayFiles", "AtomicStructures", "Configuration", "Descriptors", "FeatureExport", "LinearAlgebra",
                "Support", "TestSupport",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: languageMode
        ),
        .testTarget(
            name: "DataAuditTests",
            dependencies: [
                "AtomicStructures", "DataAudit", "Support", "TestSupport",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: languageMode
        ),
    ]
)
