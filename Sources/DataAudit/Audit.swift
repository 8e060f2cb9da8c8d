import AtomicStructures
import JSON
import NeighbourLists
import OrderedCollections
import Support

/// How serious a finding is: errors make `gap-data check` exit with status 1.
public enum Severity: String, Hashable, Sendable, Comparable {
    /// The data is broken and would corrupt a fit (non-finite numbers, overlapping atoms,
    /// malformed labels, invalid cells).
    case error
    /// The data is suspicious and worth a look, but may be intended (duplicates, outliers,
    /// net forces, missing labels).
    case warning

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .error && rhs == .warning }
}

/// One problem found in one frame.
public struct Finding: Hashable, Sendable, CustomStringConvertible {
    /// Error or warning.
    public var severity: Severity
    /// The check that produced it, a stable identifier such as `overlap` or `duplicate`
    /// (see ``DatasetAuditor`` for the list).
    public var check: String
    /// The file the frame came from ("<memory>" for structures built in code).
    public var file: String
    /// One-based line of the frame's first line, if known.
    public var line: Int?
    /// Zero-based index of the frame within its file.
    public var frame: Int
    /// What is wrong and why it matters.
    public var message: String

    /// Creates a finding.
    public init(severity: Severity, check: String, file: String, line: Int?, frame: Int, message: String) {
        self.severity = severity
        self.check = check
        self.file = file
        self.line = line
        self.frame = frame
        self.message = message
    }

    /// `file:line: severity: check: frame k: message`, the form editors can jump to.
    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return "\(place): \(severity.rawValue): \(check): frame \(frame): \(message)"
    }
}

/// Thresholds of `gap-data check`. The defaults are chosen so that the real silicon datasets
/// shipped with the project (GAP-18, Zuo et al. 2020) raise no outlier or net-force warnings
/// while gross mistakes (units, wrong columns, zeroed forces of fixed atoms) stand out.
public struct AuditOptions: Hashable, Sendable {
    /// Where labels are read from.
    public var labelKeys: LabelKeys
    /// Atoms (or periodic images) closer than this are an error, Å. Default 0.5 Å: well below
    /// the shortest chemical bond (H₂, 0.74 Å), so only broken geometries trip it.
    public var minimumDistance: Double
    /// Net-force tolerance per √N, as an absolute floor in eV/Å. Default 0.01 eV/Å.
    ///
    /// A frame is flagged when |ΣF| > √N · max(floor, relative · F_rms), with F_rms the RMS force
    /// per atom. Translation invariance makes the true net force zero; what remains is numerical
    /// noise. Independent per-atom errors of size ε add up to about ε√N, and DFT force labels
    /// are converged to roughly 0.01 eV/Å or 1 % of the force scale, whichever is larger. A net
    /// force well beyond that points at a real problem: forces of fixed atoms zeroed, a wrong
    /// column read as forces, or forces from a different frame. (GAP-18's largest net force is
    /// 1.6e-4 eV/Å, Zuo et al.'s 8e-8 eV/Å.)
    package var netForceFloor: Double
    /// The relative part of the net-force tolerance (fraction of F_rms). Default 0.01.
    package var netForceRelative: Double
    /// Per-atom energies further than this many robust standard deviations from the median of
    /// their config type are flagged. Default 20.
    ///
    /// The robust standard deviation is 1.4826 · MAD (median absolute deviation), floored at
    /// ``outlierScaleFloor``. Config types are deliberately heterogeneous (MD at several
    /// temperatures, strained cells), so the tails are heavy: in GAP-18 the largest |z| is 10.1
    /// (amorph) and in Zuo et al. 5.2. Unit mix-ups (Ry, Hartree, kcal/mol), a missing reference
    /// shift or a different pseudopotential move the energy by eV per atom, |z| in the hundreds.
    public var outlierThreshold: Double
    /// The floor of the robust standard deviation, eV/atom (so that a group of near-identical
    /// frames does not flag sub-meV differences). Default 0.001 eV/atom.
    package var outlierScaleFloor: Double
    /// Groups (config types) with fewer frames with energy than this are not tested for outliers.
    /// Default 5: a median and MAD of fewer frames say little.
    public var outlierMinimumGroupSize: Int
    /// Fully periodic cells with a volume per atom below this are flagged, Å³. Default 1 Å³
    /// (solid silicon has 20 Å³; even hydrogen at megabar pressures keeps more than 1 Å³).
    package var minimumVolumePerAtom: Double
    /// Virials whose largest |W_ij − W_ji| exceeds this fraction of max(1 eV, max |W_ij|) are
    /// flagged (a physical virial is symmetric; asymmetry means mis-ordered components).
    /// Default 1e-3.
    package var virialAsymmetryTolerance: Double

    /// Creates options; every threshold has the documented default.
    public init(
        labelKeys: LabelKeys = LabelKeys(), minimumDistance: Double = 0.5, netForceFloor: Double = 0.01,
        netForceRelative: Double = 0.01, outlierThreshold: Double = 20, outlierScaleFloor: Double = 0.001,
        outlierMinimumGroupSize: Int = 5, minimumVolumePerAtom: Double = 1, virialAsymmetryTolerance: Double = 1e-3
    ) {
        self.labelKeys = labelKeys
        self.minimumDistance = minimumDistance
        self.netForceFloor = netForceFloor
        self.netForceRelative = netForceRelative
        self.outlierThreshold = outlierThreshold
        self.outlierScaleFloor = outlierScaleFloor
        self.outlierMinimumGroupSize = outlierMinimumGroupSize
        self.minimumVolumePerAtom = minimumVolumePerAtom
        self.virialAsymmetryTolerance = virialAsymmetryTolerance
    }

    /// Throws an ``InputError`` (file "<options>") for thresholds that make no sense.
    public func validate() throws {
        func positive(_ value: Double, _ name: String, unit: String) throws {
            guard value.isFinite, value > 0 else {
                throw InputError(file: "<options>", field: name, message: "must be a positive number\(unit), got \(value)")
            }
        }
        try positive(minimumDistance, "min-distance", unit: " of Å")
        try positive(netForceFloor, "net-force-floor", unit: " of eV/Å")
        guard netForceRelative.isFinite, netForceRelative >= 0 else {
            throw InputError(file: "<options>", field: "net-force-relative", message: "must be a non-negative number, got \(netForceRelative)")
        }
        try positive(outlierThreshold, "outlier-threshold", unit: "")
        try positive(outlierScaleFloor, "outlier-scale-floor", unit: " of eV/atom")
        try positive(minimumVolumePerAtom, "min-volume-per-atom", unit: " of Å³")
        try positive(virialAsymmetryTolerance, "virial-asymmetry-tolerance", unit: "")
        guard outlierMinimumGroupSize >= 3 else {
            throw InputError(file: "<options>", field: "outlier-min-group", message: "must be at least 3, got \(outlierMinimumGroupSize)")
        }
    }
}

/// Checks a stream of frames for problems that would silently spoil a fit.
///
/// Feed frames with ``inspect(_:)`` in file order, then call ``finish()``. Per-frame checks run
/// as each frame arrives; only a 128-bit digest and one per-atom energy per frame are kept for
/// the cross-frame checks, so memory does not grow with the size of the frames.
///
/// Errors:
/// - `non-finite`: NaN or infinity in positions, the lattice, a numeric header value or any
///   per-atom real column.
/// - `overlap`: two atoms, or an atom and a periodic image, closer than
///   ``AuditOptions/minimumDistance`` (found with the neighbour list, so images count).
/// - `cell`: a lattice that cannot describe the periodicity (singular, zero vector along a
///   periodic direction).
/// - `labels`: a label present under one of the keys but malformed (forces with the wrong number
///   of components, a virial with 5 numbers, a stress without a cell, ...).
/// - `shape`: a per-atom column whose length does not match the atom count.
///
/// Warnings:
/// - `duplicate`: species, cell, periodicity and positions bit-identical to an earlier frame
///   (exact duplicates only; the message says whether the energies agree).
/// - `copied-labels`: species and forces bit-identical to an earlier frame's (some force not
///   zero) while the cell or positions differ: the labels of one structure were given to another
///   (e.g. a frame copied with a rescaled cell). Two different structures do not share every
///   force bit for bit; zero forces (symmetric structures) are not compared.
/// - `energy-outlier`: energy per atom far from its config type's median (robust z-score, see
///   ``AuditOptions/outlierThreshold``). Frames without a config type are grouped per file.
///   No reference energies are subtracted: the per-atom energy is used as is.
/// - `net-force`: |ΣF| beyond the tolerance in ``AuditOptions/netForceFloor``.
/// - `forces-without-energy`: forces but no energy.
/// - `no-labels`: neither energy, forces nor virial under any of the keys (usually a key mismatch).
/// - `asymmetric-virial`, `tiny-volume`, `empty-frame`.
public struct DatasetAuditor: Sendable {
    /// The thresholds in use.
    public let options: AuditOptions
    private var findings: [Finding] = []
    private var framesChecked = 0
    private var files: [String] = []
    private var framesPerFile: [String: Int] = [:]
    private var digests: [FrameDigest: FrameRecord] = [:]
    /// Earlier frames by their species and forces, for `copied-labels`.
    private var forceDigests: [FrameDigest: FrameRecord] = [:]
    private var energies: [String: [EnergyRecord]] = [:]
    private var groupOrder: [String] = []

    private struct FrameRecord: Sendable {
        var file: String
        var line: Int?
        var frame: Int
        var energy: Double?
    }

    private struct EnergyRecord: Sendable {
        var perAtom: Double
        var file: String
        var line: Int?
        var frame: Int
    }

    /// Creates an auditor.
    ///
    /// - Throws: ``InputError`` if a threshold is not usable (see ``AuditOptions/validate()``).
    public init(options: AuditOptions = AuditOptions()) throws {
        try options.validate()
        self.options = options
    }

    /// Starts a file, so that files without frames are listed in the report.
    public mutating func beginFile(_ path: String) {
        if files.last != path, framesPerFile[path] == nil {
            files.append(path)
            framesPerFile[path] = 0
        }
    }

    /// Checks one frame. Never throws: every problem becomes a ``Finding``.
    public mutating func inspect(_ structure: Structure) {
        let file = structure.source?.file ?? "<memory>"
        beginFile(file)
        let c = FrameContext(file: file, line: structure.source?.line, frame: structure.source?.frameIndex ?? framesPerFile[file, default: 0])
        framesPerFile[file, default: 0] += 1
        framesChecked += 1
        if structure.count == 0 { report(c, .warning, "empty-frame", "the frame has no atoms") }
        let geometryIsFinite = checkFiniteValues(structure, c)
        if geometryIsFinite {
            checkVolume(structure, c)
            checkOverlaps(structure, c)
        }
        let labels = checkLabels(structure, c)
        if geometryIsFinite { checkDuplicate(structure, c, labels: labels) }
        recordEnergy(structure, c, labels: labels)
    }

    /// Where a finding is: the frame's file, first line and index.
    struct FrameContext {
        let file: String
        let line: Int?
        let frame: Int

        /// "atom 3 (line 17)": the atom's one-based index and, for frames read from a file, its line.
        func atom(_ index: Int) -> String {
            line.map { "atom \(index + 1) (line \($0 + 2 + index))" } ?? "atom \(index + 1)"
        }
    }

    mutating func report(_ c: FrameContext, _ severity: Severity, _ check: String, _ message: String) {
        findings.append(Finding(severity: severity, check: check, file: c.file, line: c.line, frame: c.frame, message: message))
    }

    /// Non-finite values anywhere; returns whether positions and cell are finite.
    mutating func checkFiniteValues(_ structure: Structure, _ c: FrameContext) -> Bool {
        let n = structure.count
        var geometryIsFinite = true
        if let index = structure.positions.firstIndex(where: { !($0.x.isFinite && $0.y.isFinite && $0.z.isFinite) }) {
            let bad = structure.positions.lazy.filter { !($0.x.isFinite && $0.y.isFinite && $0.z.isFinite) }.count
            report(c, .error, "non-finite", "pos: \(bad) atom\(bad == 1 ? "" : "s") with a non-finite position, first \(c.atom(index)): \(structure.positions[index])")
            geometryIsFinite = false
        }
        if !structure.cell.matrix.rowMajor.allSatisfy({ $0.isFinite }) {
            report(c, .error, "non-finite", "Lattice: non-finite lattice vector component: \(structure.cell.matrix.rowMajor)")
            geometryIsFinite = false
        }
        for (key, value) in structure.info {
            if let numbers = value.realArray, let bad = numbers.first(where: { !$0.isFinite }) {
                report(c, .error, "non-finite", "\(key): header value contains \(bad)")
            }
        }
        for (name, column) in structure.arrays {
            if column.values.count != n * column.columns {
                report(c, .error, "shape", "\(name): \(column.values.count) values for \(n) atoms × \(column.columns) columns")
                continue
            }
            guard case .reals(let values) = column.values, let first = values.firstIndex(where: { !$0.isFinite }) else { continue }
            let bad = values.lazy.filter { !$0.isFinite }.count
            let atomIndex = first / max(1, column.columns)
            report(c, .error, "non-finite", "\(name): \(bad) non-finite value\(bad == 1 ? "" : "s"), first at \(c.atom(atomIndex)) column \(first % max(1, column.columns) + 1): \(values[first])")
        }
        return geometryIsFinite
    }

    /// A cell volume per atom too small to be right.
    mutating func checkVolume(_ structure: Structure, _ c: FrameContext) {
        let n = structure.count
        if structure.cell.isFullyPeriodic, n > 0 {
            let perAtom = structure.cell.volume / Double(n)
            if perAtom < options.minimumVolumePerAtom {
                report(c, .warning, "tiny-volume", "cell volume per atom is \(formatSignificant(perAtom)) Å³ (below \(formatSignificant(options.minimumVolumePerAtom)) Å³): lattice in the wrong units or wrong lattice vectors?")
            }
        }
    }

    /// Overlapping atoms, periodic images included.
    mutating func checkOverlaps(_ structure: Structure, _ c: FrameContext) {
        let n = structure.count
        if n > 0 {
            do {
                let list = try NeighbourList(structure, cutoffRadius: options.minimumDistance)
                if list.pairCount > 0 {
                    var closest = 0
                    for p in 1..<list.pairCount where list.distances[p] < list.distances[closest] { closest = p }
                    var i = 0
                    while list.centreOffsets[i + 1] <= closest { i += 1 }
                    let j = Int(list.neighbours[closest])
                    let shift = list.shifts[closest]
                    let pairs = list.pairCount / 2  // the full list holds each pair from both ends
                    let which = i == j
                        ? "\(c.atom(i)) and its own periodic image (lattice shift \(shift.x) \(shift.y) \(shift.z))"
                        : "\(c.atom(min(i, j))) and \(c.atom(max(i, j)))" + (shift == .zero ? "" : " (periodic image, lattice shift \(shift.x) \(shift.y) \(shift.z))")
                    report(c, .error, "overlap", "\(pairs) pair\(pairs == 1 ? "" : "s") of atoms closer than \(formatSignificant(options.minimumDistance)) Å; closest: \(which) at \(formatSignificant(list.distances[closest])) Å")
                }
            } catch let error as InputError {
                report(c, .error, "cell", (error.field.map { "\($0): " } ?? "") + error.message)
            } catch {
                report(c, .error, "cell", "\(error)")
            }
        }
    }

    /// Label presence and consistency (net force, virial symmetry); returns the labels read.
    mutating func checkLabels(_ structure: Structure, _ c: FrameContext) -> Labels {
        let n = structure.count
        var labels = Labels()
        var labelsMalformed = false
        do {
            labels = try options.labelKeys.labels(of: structure)
        } catch let error as InputError {
            report(c, .error, "labels", (error.field.map { "\($0): " } ?? "") + error.message)
            labelsMalformed = true
        } catch {
            report(c, .error, "labels", "\(error)")
            labelsMalformed = true
        }
        if labels.energy == nil && labels.forces == nil && labels.virial == nil && !labelsMalformed {
            let keys = options.labelKeys
            report(c, .warning, "no-labels", "no energy (\(keys.energy.joined(separator: ", "))), forces (\(keys.forces.joined(separator: ", "))) or virial (\((keys.virial + keys.stress).joined(separator: ", "))); header keys here: \(structure.info.keys.joined(separator: ", ")); columns: \(structure.arrays.keys.joined(separator: ", "))")
        }
        if labels.forces != nil && labels.energy == nil {
            report(c, .warning, "forces-without-energy", "forces (\(labels.sourceKeys.forces ?? "")) but no energy under \(options.labelKeys.energy.joined(separator: ", "))")
        }
        if let forces = labels.forces, forces.count == n, n > 0, forces.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) {
            var sum = Vector3.zero
            var squares = 0.0
            for f in forces {
                sum += f
                squares += dot(f, f)
            }
            let rms = (squares / Double(n)).squareRoot()
            let tolerance = Double(n).squareRoot() * max(options.netForceFloor, options.netForceRelative * rms)
            let net = length(sum)
            if net > tolerance {
                report(c, .warning, "net-force", "net force |ΣF| = \(formatSignificant(net)) eV/Å exceeds \(formatSignificant(tolerance)) eV/Å (√N · max(\(formatSignificant(options.netForceFloor)), \(formatSignificant(options.netForceRelative)) · F_rms), F_rms = \(formatSignificant(rms)) eV/Å): zeroed forces of fixed atoms or a wrong force column?")
            }
        }
        if let w = labels.virial, w.rowMajor.allSatisfy({ $0.isFinite }) {
            let asymmetry = max(abs(w[0, 1] - w[1, 0]), abs(w[0, 2] - w[2, 0]), abs(w[1, 2] - w[2, 1]))
            let scale = max(1, w.rowMajor.map(abs).max() ?? 0)
            if asymmetry > options.virialAsymmetryTolerance * scale {
                report(c, .warning, "asymmetric-virial", "\(labels.sourceKeys.virial ?? "virial") is not symmetric (largest |W_ij − W_ji| = \(formatSignificant(asymmetry)) eV): components in the wrong order?")
            }
        }
        return labels
    }

    /// Exact (bit for bit) duplicates of earlier frames.
    mutating func checkDuplicate(_ structure: Structure, _ c: FrameContext, labels: Labels) {
        let file = c.file
        let digest = FrameDigest(structure)
        if let earlier = digests[digest] {
            var message = "species, cell and positions are identical to frame \(earlier.frame)"
            message += earlier.file == file ? "" : " of \(earlier.file)"
            if let l = earlier.line { message += " (line \(l))" }
            switch (earlier.energy, labels.energy) {
            case let (a?, b?) where a.bitPattern == b.bitPattern: message += "; energies equal"
            case let (a?, b?): message += "; energies differ by \(formatSignificant(b - a)) eV"
            default: break
            }
            report(c, .warning, "duplicate", message)
            return
        }
        digests[digest] = FrameRecord(file: file, line: c.line, frame: c.frame, energy: labels.energy)
        // Not a geometric duplicate: the same forces on another structure are copied labels.
        guard let forces = labels.forces, forces.count == structure.count,
              forces.contains(where: { $0.x != 0 || $0.y != 0 || $0.z != 0 }) else { return }
        let forceDigest = FrameDigest(species: structure.atomicNumbers, forces: forces)
        if let earlier = forceDigests[forceDigest] {
            var message = "species and forces are bit-identical to frame \(earlier.frame)"
            message += earlier.file == file ? "" : " of \(earlier.file)"
            if let l = earlier.line { message += " (line \(l))" }
            message += ", but the cell or positions differ"
            switch (earlier.energy, labels.energy) {
            case let (a?, b?) where a.bitPattern == b.bitPattern: message += "; energies equal"
            case let (a?, b?): message += "; energies differ by \(formatSignificant(b - a)) eV"
            default: break
            }
            report(c, .warning, "copied-labels", message + ": labels copied onto another structure?")
        } else {
            forceDigests[forceDigest] = FrameRecord(file: file, line: c.line, frame: c.frame, energy: labels.energy)
        }
    }

    /// The energy per atom, for the outlier test at the end.
    mutating func recordEnergy(_ structure: Structure, _ c: FrameContext, labels: Labels) {
        let n = structure.count
        let file = c.file
        if let e = labels.energy, e.isFinite, n > 0 {
            let group = labels.configType.map { "config type \($0)" } ?? "file \(file) (no config type)"
            if energies[group] == nil { groupOrder.append(group) }
            energies[group, default: []].append(EnergyRecord(perAtom: e / Double(n), file: file, line: c.line, frame: c.frame))
        }
    }

    /// Runs the cross-frame checks and returns every finding, ordered by file, then frame.
    public func finish() -> AuditReport {
        var all = findings
        for group in groupOrder {
            guard let records = energies[group], records.count >= options.outlierMinimumGroupSize else { continue }
            let values = records.map(\.perAtom)
            let median = DatasetAuditor.median(values)
            let mad = DatasetAuditor.median(values.map { abs($0 - median) })
            let scale = max(1.4826 * mad, options.outlierScaleFloor)
            for r in records {
                let z = (r.perAtom - median) / scale
                if abs(z) > options.outlierThreshold {
                    all.append(Finding(
                        severity: .warning, check: "energy-outlier", file: r.file, line: r.line, frame: r.frame,
                        message: "energy per atom \(formatSignificant(r.perAtom)) eV is \(formatSignificant(z)) robust SDs from the median \(formatSignificant(median)) eV of \(group) (\(records.count) frames, robust SD \(formatSignificant(scale)) eV/atom; threshold \(formatSignificant(options.outlierThreshold)))"))
                }
            }
        }
        let fileOrder = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        // Stable: findings of one frame keep the order in which the checks ran.
        let ordered = all.enumerated().sorted { a, b in
            let fa = fileOrder[a.element.file] ?? 0
            let fb = fileOrder[b.element.file] ?? 0
            if fa != fb { return fa < fb }
            if a.element.frame != b.element.frame { return a.element.frame < b.element.frame }
            return a.offset < b.offset
        }.map(\.element)
        return AuditReport(findings: ordered, files: files.map { ($0, framesPerFile[$0] ?? 0) }, options: options)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m])
    }
}

/// The result of a check: the findings and what was checked.
public struct AuditReport: Sendable {
    /// Every finding, ordered by file (as given), then frame.
    public let findings: [Finding]
    /// The files checked and their frame counts, in order.
    public let files: [(file: String, frames: Int)]
    /// The thresholds used.
    public let options: AuditOptions

    /// Frames checked over all files.
    public var frameCount: Int { files.reduce(0) { $0 + $1.frames } }
    /// Number of error findings.
    package var errorCount: Int { findings.lazy.filter { $0.severity == .error }.count }
    /// Number of warning findings.
    package var warningCount: Int { findings.lazy.filter { $0.severity == .warning }.count }
    /// Whether any finding is an error (the command then exits with status 1).
    public var hasErrors: Bool { findings.contains { $0.severity == .error } }

    /// One line per finding (`file:line: severity: check: frame k: message`), then a summary.
    public func formatted() -> String {
        var out = ""
        for finding in findings { out += finding.description + "\n" }
        let e = errorCount
        let w = warningCount
        out += "checked \(frameCount) frame\(frameCount == 1 ? "" : "s") in \(files.count) file\(files.count == 1 ? "" : "s"): "
        out += "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")\n"
        if !findings.isEmpty {
            out += "(lines point at each frame's atom-count line; frames count from 0 within each file)\n"
        }
        return out
    }

    /// The report as JSON with a fixed key order: counts, thresholds, files, findings.
    public func json() -> String {
        let o = options
        let value = JSONWriter.object([
            ("frames", JSONWriter.number(frameCount)),
            ("errors", JSONWriter.number(errorCount)),
            ("warnings", JSONWriter.number(warningCount)),
            ("thresholds", JSONWriter.object([
                ("min_distance", JSONWriter.finiteOrNull(o.minimumDistance)),
                ("net_force_floor", JSONWriter.finiteOrNull(o.netForceFloor)),
                ("net_force_relative", JSONWriter.finiteOrNull(o.netForceRelative)),
                ("outlier_threshold", JSONWriter.finiteOrNull(o.outlierThreshold)),
                ("outlier_scale_floor", JSONWriter.finiteOrNull(o.outlierScaleFloor)),
                ("outlier_min_group_size", JSONWriter.number(o.outlierMinimumGroupSize)),
                ("min_volume_per_atom", JSONWriter.finiteOrNull(o.minimumVolumePerAtom)),
                ("virial_asymmetry_tolerance", JSONWriter.finiteOrNull(o.virialAsymmetryTolerance)),
            ])),
            ("files", JSONWriter.array(files.map { JSONWriter.object([("file", .string($0.file)), ("frames", JSONWriter.number($0.frames))]) })),
            ("findings", JSONWriter.array(findings.map { f in
                JSONWriter.object([
                    ("severity", .string(f.severity.rawValue)),
                    ("check", .string(f.check)),
                    ("file", .string(f.file)),
                    ("line", f.line.map { JSONWriter.number($0) } ?? .null),
                    ("frame", JSONWriter.number(f.frame)),
                    ("message", .string(f.message)),
                ])
            })),
        ])
        return JSONWriter.write(value, style: .insertionOrder)
    }
}

/// A 128-bit digest of a frame's species, cell, periodicity and positions (bit patterns), for
/// exact-duplicate detection without keeping frames in memory. Two independent 64-bit lanes;
/// a false match between different frames has probability about 2⁻¹²⁸ per pair.
struct FrameDigest: Hashable, Sendable {
    var a: UInt64 = 0x243F_6A88_85A3_08D3
    var b: UInt64 = 0x1319_8A2E_0370_7344

    init(_ s: Structure) {
        add(UInt64(s.count))
        for z in s.atomicNumbers { add(UInt64(bitPattern: Int64(z))) }
        for k in 0..<3 { add(UInt64(s.cell.periodic[k])) }
        for x in s.cell.matrix.rowMajor { add(x.bitPattern) }
        for r in s.positions {
            add(r.x.bitPattern)
            add(r.y.bitPattern)
            add(r.z.bitPattern)
        }
        a = FrameDigest.avalanche(a)
        b = FrameDigest.avalanche(b ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A digest of species and forces (bit patterns), for `copied-labels`.
    init(species: [Int], forces: [Vector3]) {
        add(UInt64(species.count))
        for z in species { add(UInt64(bitPattern: Int64(z))) }
        for f in forces {
            add(f.x.bitPattern)
            add(f.y.bitPattern)
            add(f.z.bitPattern)
        }
        a = FrameDigest.avalanche(a)
        b = FrameDigest.avalanche(b ^ 0x9E37_79B9_7F4A_7C15)
    }

    private mutating func add(_ word: UInt64) {
        // Each lane is a bijective mix of (state, word); different constants decorrelate the lanes.
        a = (a ^ word) &* 0x9E37_79B9_7F4A_7C15
        a ^= a >> 32
        b = ((b &+ word) &* 0xC2B2_AE3D_27D4_EB4F)
        b = (b << 31) | (b >> 33)
        b = b &* 0x1656_67B1_9E37_79F9
    }

    private static func avalanche(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
