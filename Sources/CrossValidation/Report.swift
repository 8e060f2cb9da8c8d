import AtomicStructures
import Configuration
import Foundation
import JSON
import ModelFiles
import Prediction
import Support
import Training

/// The cross-validation report: `report.json` (every number), `report.md`, a self-contained
/// `report.html` (inline SVG, no scripts, no network) and `predictions.xyz`.
public struct CrossValidationReport {
    /// What is reported.
    public var result: CrossValidationResult
    /// The command line that produced it, for provenance.
    public var command: String
    /// When it was produced, ISO 8601 UTC.
    package var createdAt: String

    /// The file names written into the report directory.
    public static let fileNames = (json: "report.json", markdown: "report.md", html: "report.html", predictions: "predictions.xyz")

    /// Creates a report of `result`.
    public init(result: CrossValidationResult, command: String, date: Date = Date()) {
        self.result = result
        self.command = command
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        createdAt = formatter.string(from: date)
    }

    /// Writes the four files into `directory` (created if missing), each atomically.
    public func write(to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw InputError(file: directory, message: "cannot create the report directory: \(error.localizedDescription)")
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        try PredictionsFile.write(result, to: base + Self.fileNames.predictions)
        try writeFileAtomically(Array(json().utf8), to: base + Self.fileNames.json)
        try writeFileAtomically(Array(markdown().utf8), to: base + Self.fileNames.markdown)
        try writeFileAtomically(Array(html().utf8), to: base + Self.fileNames.html)
    }

    // MARK: - Shared pieces

    /// Config types in data order (tested frames only), then nil for all frames.
    var groups: [String?] {
        let types = result.main.pooled.configTypes
        return types.map { Optional($0) } + (types.count > 1 ? [nil] : [])
    }

    /// Definitions of every reported number.
    static let definitions: [(String, String)] = [
        ("energy", "(E_pred − E_ref)/N per frame, meV/atom (N atoms in the frame); one value per frame with an energy label."),
        ("force_components", "F_pred − F_ref per Cartesian component, eV/Å; 3N values per frame with force labels."),
        ("force_vectors", "|F_pred − F_ref| per atom (length of the error vector), eV/Å; N values per frame with force labels."),
        ("virial", "(W_pred − W_ref)/N for the six independent components xx, xy, xz, yy, yz, zz, meV/atom (W = −dE/dε, eV); frames with a virial label only."),
        ("rmse", "root-mean-square of the values: √(Σe²/n)."),
        ("mae", "mean absolute value: Σ|e|/n."),
        ("max", "largest |e|."),
        ("pooled", "over every out-of-fold value of the group, all folds together (each tested frame is predicted once, by the model that did not see it)."),
        ("across_folds", "the statistic computed per fold (test frames of that fold only), then the mean and sample standard deviation (n − 1) over the folds whose test set has such values."),
        ("learning_curve", "per fraction p, each fold trains on p of its training frames per config type (rounded up; nested subsets; always-trained frames kept) and is tested on its whole test set."),
    ]

    static func configTypeName(_ group: String?) -> String { group ?? "all frames" }
}

// MARK: - JSON

extension CrossValidationReport {
    typealias W = JSONWriter

    static func number(_ x: Double?) -> JSONValue.Kind {
        guard let x, x.isFinite else { return .null }
        return W.number(x)
    }

    static func accumulatorJSON(_ a: ErrorStatistics.Accumulator) -> JSONValue.Kind {
        W.object([
            ("count", W.number(a.count)), ("rmse", number(a.rmse)), ("mae", number(a.mae)),
            ("max", a.count > 0 ? number(a.maximum) : .null),
        ])
    }

    static func groupJSON(_ g: ErrorStatistics.Group?) -> JSONValue.Kind {
        guard let g else { return .null }
        return W.object(
            [("frames", W.number(g.frames)), ("atoms", W.number(g.atoms))]
                + ErrorQuantity.allCases.map { ($0.rawValue, accumulatorJSON($0.accumulator(g))) })
    }

    static func statisticsJSON(_ s: ErrorStatistics) -> JSONValue.Kind {
        W.object([
            ("all", groupJSON(s.configTypes.isEmpty ? nil : s.overall)),
            ("by_config_type", W.object(s.configTypes.map { ($0, groupJSON(s.groups[$0])) })),
        ])
    }

    static func spreadJSON(_ run: CrossValidationRun, _ group: String?) -> JSONValue.Kind {
        W.object(ErrorQuantity.allCases.map { q in
            (q.rawValue, W.object(ErrorStatistic.allCases.map { st in
                let s = run.spread(q, st, configType: group)
                return (st.rawValue, W.object([
                    ("mean", number(s.mean)), ("std", number(s.standardDeviation)),
                    ("per_fold", W.array(s.values.map { number($0) })),
                ]))
            }))
        })
    }

    static func runJSON(_ run: CrossValidationRun, detailed: Bool) -> JSONValue.Kind {
        var pairs: [(String, JSONValue.Kind)] = [
            ("label", .string(run.label)),
            ("failure", run.failure.map { .string($0) } ?? .null),
            ("notes", W.array(run.notes.map { .string($0) })),
            ("mean_training_frames", number(run.meanTrainingFrames)),
            ("pooled", statisticsJSON(run.pooled)),
            ("across_folds", W.object(
                [("all", spreadJSON(run, nil))]
                    + [("by_config_type", W.object(run.pooled.configTypes.map { ($0, spreadJSON(run, $0)) }))])),
        ]
        if detailed {
            pairs.append(("folds", W.array(run.folds.map { fold in
                W.object([
                    ("fold", W.number(fold.fold + 1)),
                    ("test_frames", W.array(fold.testFrames.map { W.number($0) })),
                    ("training_frame_count", W.number(fold.trainingFrames.count)),
                    ("e0", W.object(fold.e0.sorted { $0.key < $1.key }.map { (Element(atomicNumber: $0.key)?.symbol ?? "\($0.key)", W.number($0.value)) })),
                    ("sparse_points", W.array(fold.sparseSources.map { W.number($0.count) })),
                    ("reciprocal_condition", number(fold.reciprocalCondition)),
                    ("seconds", W.object(fold.phaseSeconds.map { ($0.phase, number($0.seconds)) })),
                    ("cpu_seconds", number(fold.cpuSeconds)),
                    ("errors", statisticsJSON(fold.statistics)),
                ])
            })))
        } else {
            pairs.append(("training_frames_per_fold", W.array(run.folds.map { W.number($0.trainingFrames.count) })))
        }
        return W.object(pairs)
    }

    /// The whole report as JSON: every number, with definitions, config and provenance.
    public func json() -> String {
        let r = result
        let data = r.data
        let mode: String
        switch r.featureMode {
        case .cached: mode = "computed once, kept in memory"
        case .recomputed: mode = "recomputed in every fold (the cache would exceed the memory budget)"
        }
        var pairs: [(String, JSONValue.Kind)] = [
            ("format", .string("swiftgap-cross-validation-report")),
            ("version", W.number(1)),
            ("units", W.object([
                ("energy", .string("meV/atom")), ("force_components", .string("eV/Å")), ("force_vectors", .string("eV/Å")),
                ("virial", .string("meV/atom")), ("seconds", .string("s")), ("bytes", .string("B")),
            ])),
            ("definitions", W.object(Self.definitions.map { ($0.0, .string($0.1)) })),
            ("settings", W.object([
                ("folds", W.number(r.assignment.foldCount)), ("seed", W.number(Int(clamping: r.seed))),
                ("threads", W.number(r.threads)), ("descriptors", .string(mode)),
                ("stratified_by", .string("config type (frames without one form the group \(ConfigTypeKey.none))")),
                ("learning_curve_fractions", W.array(r.learningCurve.map { W.number($0.fraction) })),
                ("sweep", r.sweep.map { .string($0.parameter.pathDescription) } ?? .null),
            ])),
            ("data", dataJSON()),
            ("cross_validation", Self.runJSON(r.main, detailed: true)),
            ("predictions_file", .string(Self.fileNames.predictions)),
        ]
        if !r.learningCurve.isEmpty {
            pairs.append(("learning_curve", W.array(r.learningCurve.map { point in
                W.object([("fraction", W.number(point.fraction)), ("result", Self.runJSON(point.run, detailed: false))])
            })))
        }
        if let sweep = r.sweep {
            pairs.append(("sweep", W.object([
                ("parameter", .string(sweep.parameter.pathDescription)),
                ("points", W.array(sweep.runs.map { point in
                    W.object([
                        ("value", (try? JSONParser.parse(point.value, fileName: "value").kind) ?? .string(point.value)),
                        ("result", Self.runJSON(point.run, detailed: false)),
                    ])
                })),
            ])))
        }
        let m = r.memory
        pairs += [
            ("timings_seconds", W.array(r.timings.map {
                W.object([("phase", .string($0.phase)), ("seconds", Self.number($0.seconds)), ("cpu_seconds", Self.number($0.cpuSeconds))])
            })),
            ("memory_bytes", W.object([
                ("budget", W.number(m.budget)), ("descriptor_cache_estimate", W.number(m.estimatedCache)),
                ("descriptor_cache_measured", W.number(m.measuredCache)), ("one_fit_estimate", W.number(m.estimatedFit)),
                ("resident_before_cache", m.residentBeforeCache.map { W.number($0) } ?? .null),
                ("resident_after_cache", m.residentAfterCache.map { W.number($0) } ?? .null),
                ("resident_peak", m.residentPeak.map { W.number($0) } ?? .null),
            ])),
            ("notes", W.array(r.notes.map { .string($0) })),
            ("config", r.config.jsonValue),
            ("provenance", W.object([
                ("code_version", .string(swiftGAPVersion)), ("command", .string(command)), ("created", .string(createdAt)),
                ("config_file", .string(r.config.sourceName)),
                ("training_files", W.array(data.files.map { W.object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) })),
            ])),
        ]
        return W.write(W.object(pairs))
    }

    /// The data block: frame and atom counts, frames always trained on, and per config type
    /// the frames, atoms and labels.
    func dataJSON() -> JSONValue.Kind {
        let r = result
        let data = r.data
        var typeOrder: [String] = []
        var typeCounts: [String: (frames: Int, atoms: Int, e: Int, f: Int, v: Int)] = [:]
        for frame in data.frames {
            let key = ConfigTypeKey.of(frame)
            if typeCounts[key] == nil { typeOrder.append(key); typeCounts[key] = (0, 0, 0, 0, 0) }
            typeCounts[key]!.frames += 1
            typeCounts[key]!.atoms += frame.atomCount
            if frame.energy != nil { typeCounts[key]!.e += 1 }
            if frame.forces != nil { typeCounts[key]!.f += 1 }
            if frame.virial != nil { typeCounts[key]!.v += 1 }
        }
        return W.object([
            ("frames", W.number(data.frames.count)), ("atoms", W.number(data.atomCount)),
            ("tested_frames", W.number(r.assignment.foldOfFrame.compactMap { $0 }.count)),
            ("always_trained_frames", W.array(r.assignment.alwaysTrainedFrames.map { f in
                W.object([("index", W.number(f)), ("source", .string(data.frames[f].structure.sourceDescription)), ("reason", .string("isolated atom (e0)"))])
            })),
            ("config_types", W.array(typeOrder.map { key in
                let c = typeCounts[key]!
                return W.object([
                    ("name", .string(key)), ("frames", W.number(c.frames)), ("atoms", W.number(c.atoms)),
                    ("energy_labels", W.number(c.e)), ("force_labels", W.number(c.f)), ("virial_labels", W.number(c.v)),
                ])
            })),
        ])
    }
}
