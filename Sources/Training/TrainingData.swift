import AtomicStructures
import Configuration
import ModelFiles
import OrderedCollections
import Parallelism
import Support
#if canImport(Glibc)
import Glibc
#endif

/// One training structure with its labels and the noise level (σ) of each observation.
///
/// σ follows gap_fit exactly (docs/gap_fit.md §1.3): energy and virial σ from the config are
/// per atom (× √N) when `sigma_per_atom` is on; per-frame σ keys are absolute; a per-atom force σ
/// column overrides the frame's force σ for that atom.
public struct TrainingFrame: Sendable {
    /// The structure (per-atom columns other than those needed are dropped to save memory).
    public var structure: Structure
    /// Total energy in eV, if labelled.
    public var energy: Double?
    /// Forces in eV/Å (3N flat, atom-major), if labelled.
    public var forces: [Double]?
    /// Virial in eV (9 numbers, row-major), if labelled or converted from a stress.
    public var virial: [Double]?
    /// Config type, if any.
    public var configType: String?
    /// σ of the energy observation, eV (already scaled per atom where that applies).
    public var energySigma: Double
    /// σ of each force component, eV/Å (3N, per atom where a column gives it).
    public var forceSigmas: [Double]
    /// σ of each virial component, eV (already scaled per atom where that applies).
    public var virialSigma: Double

    /// The number of atoms.
    public var atomCount: Int { structure.count }

    /// The number of design-matrix rows this frame contributes: 1 energy, 3N forces, 6 virial.
    public var observationCount: Int {
        (energy != nil ? 1 : 0) + (forces != nil ? 3 * atomCount : 0) + (virial != nil ? 6 : 0)
    }
}

/// Everything read from the training files, ready for fitting.
public struct TrainingData: Sendable {
    /// The frames, in config order (files in order, frames in file order or split order).
    public var frames: [TrainingFrame]
    /// The training files with their SHA-256, for provenance.
    public var files: [(path: String, sha256: String)]

    /// Distinct atomic numbers in the data, sorted.
    public var speciesPresent: [Int] {
        Array(Set(frames.flatMap(\.structure.atomicNumbers))).sorted()
    }

    /// Total atoms.
    public var atomCount: Int { frames.reduce(0) { $0 + $1.atomCount } }

    /// Reads the training frames a config names, with labels and σ, streaming each file once.
    ///
    /// - Throws: ``InputError`` for unreadable or malformed files, malformed labels, non-positive
    ///   or non-finite σ overrides, frames with no label at all (they would carry no
    ///   information), and split indices past the end of a file.
    public static func load(_ config: TrainingConfig, progress: ProgressReporter = .silent) throws -> TrainingData {
        let sources = try config.trainingFrames()
        var frames: [TrainingFrame] = []
        var files: [(String, String)] = []
        progress.begin("reading", total: sources.count, unit: "files")
        for source in sources {
            // One read serves both parsing and hashing (one file at a time is held).
            let bytes = try readFile(source.path, what: "training file")
            files.append((source.path, hexDigest(bytes)))
            var reader = ExtendedXYZReader(bytes: bytes, name: source.path)
            if let wanted = source.frames {
                // Keep the split's order: index the file's frames first.
                var byIndex: [Int: Structure] = [:]
                let wantedSet = Set(wanted)
                var index = 0
                while let s = try reader.next() {
                    if wantedSet.contains(index) { byIndex[index] = s }
                    index += 1
                }
                for i in wanted {
                    guard let s = byIndex[i] else {
                        throw InputError(file: source.path, message: "the split asks for frame \(i), but the file has only \(index) frames")
                    }
                    frames.append(try makeFrame(s, config: config))
                }
            } else {
                while let s = try reader.next() { frames.append(try makeFrame(s, config: config)) }
            }
            progress.advance()
        }
        progress.end()
        guard !frames.isEmpty else {
            throw InputError(file: config.sourceName, field: "train_files", message: "the training files contain no frames")
        }
        return TrainingData(frames: frames, files: files)
    }

    /// Builds a training frame from a structure, reading labels and σ per the config.
    package static func makeFrame(_ s: Structure, config: TrainingConfig) throws -> TrainingFrame {
        try s.requireAtoms(for: "training")
        let labels = try config.labelKeys.labels(of: s)
        let file = s.source?.file ?? "<memory>"
        let line = s.source?.line
        guard labels.energy != nil || labels.forces != nil || labels.virial != nil else {
            throw InputError(
                file: file, line: line, field: "labels",
                message: "frame has no energy, forces or virial under the label keys (energy \(config.labelKeys.energy), forces \(config.labelKeys.forces), virial \(config.labelKeys.virial)); set label_keys or remove the frame")
        }
        let n = Double(s.count)
        let base = config.sigma(forConfigType: labels.configType)
        let scale = config.sigmaPerAtom ? n.squareRoot() : 1

        func override(_ key: String?) throws -> Double? {
            guard let key, let value = s.info[key] else { return nil }
            guard let x = value.realValue, x.isFinite, x > 0 else {
                throw InputError(file: file, line: line, field: key, message: "a σ override must be a positive finite number")
            }
            return x
        }
        let energySigma = try override(config.sigmaKeys.energy) ?? base.energy * scale
        let virialSigma = try override(config.sigmaKeys.virial) ?? base.virial * scale
        let frameForceSigma = try override(config.sigmaKeys.forces) ?? base.forces
        var forceSigmas = [Double](repeating: frameForceSigma, count: 3 * s.count)
        if let key = config.sigmaKeys.forcesPerAtom, let column = s.arrays[key] {
            guard column.columns == 1, let values = column.realValues else {
                throw InputError(file: file, line: line, field: key, message: "expected a per-atom real column with one value (force σ in eV/Å)")
            }
            for (atom, x) in values.enumerated() {
                guard x.isFinite, x > 0 else {
                    throw InputError(file: file, line: line.map { $0 + 2 + atom }, field: key, message: "force σ of atom \(atom + 1) must be positive and finite, found \(x)")
                }
                forceSigmas[3 * atom] = x
                forceSigmas[3 * atom + 1] = x
                forceSigmas[3 * atom + 2] = x
            }
        }
        if let e = labels.energy, !e.isFinite {
            throw InputError(file: file, line: line, field: labels.sourceKeys.energy, message: "energy is not finite")
        }
        let forces = labels.forces.map { f in f.flatMap { [$0.x, $0.y, $0.z] } }
        if let f = forces, let bad = f.firstIndex(where: { !$0.isFinite }) {
            throw InputError(file: file, line: line.map { $0 + 2 + bad / 3 }, field: labels.sourceKeys.forces, message: "force on atom \(bad / 3 + 1) is not finite")
        }
        let virial = labels.virial?.rowMajor
        if let v = virial, v.contains(where: { !$0.isFinite }) {
            throw InputError(file: file, line: line, field: labels.sourceKeys.virial, message: "virial is not finite")
        }
        // Keep only what fitting needs: species, positions, cell, info (small), source.
        var compact = s
        compact.arrays = [:]
        return TrainingFrame(
            structure: compact, energy: labels.energy, forces: forces, virial: virial, configType: labels.configType,
            energySigma: energySigma, forceSigmas: forceSigmas, virialSigma: virialSigma)
    }
}

func hexDigest(_ bytes: [UInt8]) -> String { SHA256.hex(of: bytes) }
