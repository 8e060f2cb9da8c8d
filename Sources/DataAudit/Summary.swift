import AtomicStructures
import JSON
import Support

/// Counts over a set of frames (one file, or all files together).
public struct FrameCounts: Hashable, Sendable {
    /// Number of frames (configurations).
    public var configs = 0
    /// Number of atoms over all frames.
    public var atoms = 0
    /// Atoms per element, keyed by atomic number.
    public var atomsBySpecies: [Int: Int] = [:]
    /// Frames per configuration type.
    public var configsByType: [String: Int] = [:]
    /// Frames that carry an energy.
    public var withEnergy = 0
    /// Frames that carry forces.
    public var withForces = 0
    /// Frames that carry a virial (read directly or converted from a stress).
    public var withVirial = 0
    /// Frames whose virial was converted from a stress.
    public var virialFromStress = 0
    /// Frames per header key the energy was read from.
    public var energyKeys: [String: Int] = [:]
    /// Frames per column the forces were read from.
    public var forceKeys: [String: Int] = [:]
    /// Frames per header key the virial (or stress) was read from.
    public var virialKeys: [String: Int] = [:]

    /// Empty counts.
    public init() {}

    /// Frames without a configuration type.
    public var configsWithoutType: Int { configs - configsByType.values.reduce(0, +) }

    /// Adds one frame with its labels.
    public mutating func add(_ structure: Structure, labels: Labels) {
        configs += 1
        atoms += structure.count
        for z in structure.atomicNumbers { atomsBySpecies[z, default: 0] += 1 }
        if let type = labels.configType { configsByType[type, default: 0] += 1 }
        if let key = labels.sourceKeys.energy, labels.energy != nil {
            withEnergy += 1
            energyKeys[key, default: 0] += 1
        }
        if let key = labels.sourceKeys.forces, labels.forces != nil {
            withForces += 1
            forceKeys[key, default: 0] += 1
        }
        if let key = labels.sourceKeys.virial, labels.virial != nil {
            withVirial += 1
            virialKeys[key, default: 0] += 1
            if labels.sourceKeys.virialFromStress { virialFromStress += 1 }
        }
    }

    /// Adds the counts of another set of frames.
    public mutating func merge(_ other: FrameCounts) {
        configs += other.configs
        atoms += other.atoms
        atomsBySpecies.merge(other.atomsBySpecies, uniquingKeysWith: +)
        configsByType.merge(other.configsByType, uniquingKeysWith: +)
        withEnergy += other.withEnergy
        withForces += other.withForces
        withVirial += other.withVirial
        virialFromStress += other.virialFromStress
        energyKeys.merge(other.energyKeys, uniquingKeysWith: +)
        forceKeys.merge(other.forceKeys, uniquingKeysWith: +)
        virialKeys.merge(other.virialKeys, uniquingKeysWith: +)
    }

    /// Species as "Si 1606, O 12", by atomic number.
    var speciesText: String {
        atomsBySpecies.keys.sorted().map { "\(symbol(of: $0)) \(atomsBySpecies[$0]!)" }.joined(separator: ", ")
    }

    /// Config types as "dia 489, liq 76", alphabetical, with frames lacking a type last.
    var configTypesText: String {
        var parts = configsByType.keys.sorted().map { "\($0) \(configsByType[$0]!)" }
        if configsWithoutType > 0 && !configsByType.isEmpty { parts.append("(none) \(configsWithoutType)") }
        return parts.joined(separator: ", ")
    }

    /// The JSON form: counts first, then species, config types, labels and their keys.
    var json: [(String, JSONValue.Kind)] {
        func counts(_ table: [String: Int]) -> JSONValue.Kind {
            JSONWriter.object(table.keys.sorted().map { ($0, JSONWriter.number(table[$0]!)) })
        }
        return [
            ("configs", JSONWriter.number(configs)),
            ("atoms", JSONWriter.number(atoms)),
            ("species", JSONWriter.object(atomsBySpecies.keys.sorted().map { (symbol(of: $0), JSONWriter.number(atomsBySpecies[$0]!)) })),
            ("config_types", counts(configsByType)),
            ("configs_without_config_type", JSONWriter.number(configsWithoutType)),
            ("labels", JSONWriter.object([
                ("energy", JSONWriter.number(withEnergy)),
                ("forces", JSONWriter.number(withForces)),
                ("virial", JSONWriter.number(withVirial)),
                ("virial_from_stress", JSONWriter.number(virialFromStress)),
            ])),
            ("label_keys", JSONWriter.object([
                ("energy", counts(energyKeys)),
                ("forces", counts(forceKeys)),
                ("virial", counts(virialKeys)),
            ])),
        ]
    }
}

/// The symbol of an atomic number, or "Z=n" outside the periodic table.
func symbol(of atomicNumber: Int) -> String {
    Element(atomicNumber: atomicNumber)?.symbol ?? "Z=\(atomicNumber)"
}

/// Per-file and total counts of a dataset: configs, atoms, species, config types, and how many
/// frames carry each label. Built one frame at a time, so files of any size stream through.
public struct DatasetSummary: Sendable {
    /// Counts of one file.
    public struct FileCounts: Hashable, Sendable {
        /// The file path as given.
        public var file: String
        /// The counts of its frames.
        public var counts: FrameCounts
    }

    /// The keys the labels are read with.
    public let labelKeys: LabelKeys
    /// Files in the order they were first seen.
    public private(set) var files: [FileCounts] = []
    /// Counts over all files.
    public private(set) var total = FrameCounts()

    /// Creates an empty summary that reads labels with `labelKeys`.
    public init(labelKeys: LabelKeys = LabelKeys()) {
        self.labelKeys = labelKeys
    }

    /// Starts a file, so that a file without frames still appears (with zero counts).
    public mutating func beginFile(_ path: String) {
        if files.last?.file != path { files.append(FileCounts(file: path, counts: FrameCounts())) }
    }

    /// Adds one frame; its file is taken from its source location ("<memory>" if it has none).
    ///
    /// - Throws: ``InputError`` if a label is present but malformed (see ``LabelKeys/labels(of:)``).
    public mutating func add(_ structure: Structure) throws {
        let labels = try labelKeys.labels(of: structure)
        beginFile(structure.source?.file ?? "<memory>")
        files[files.count - 1].counts.add(structure, labels: labels)
        total.add(structure, labels: labels)
    }

    /// An aligned table: one row per file and a total row, then species and config types.
    public func formattedTable() -> String {
        let header = ["file", "configs", "atoms", "energy", "forces", "virial", "from stress", "species (atoms)", "config types (configs)"]
        func row(_ name: String, _ c: FrameCounts) -> [String] {
            [name, "\(c.configs)", "\(c.atoms)", "\(c.withEnergy)", "\(c.withForces)", "\(c.withVirial)", "\(c.virialFromStress)",
             c.speciesText, c.configTypesText.isEmpty ? "-" : c.configTypesText]
        }
        var rows = files.map { row($0.file, $0.counts) }
        rows.append(row("total", total))
        return alignedTable(header: header, rows: rows, rightAligned: [1, 2, 3, 4, 5, 6])
    }

    /// The summary as JSON: `{"files": [{"file": ..., counts...}], "total": {counts...}}` with a
    /// fixed key order (counts, species, config types, labels, label keys).
    public func json() -> String {
        let fileValues: [JSONValue.Kind] = files.map { JSONWriter.object([("file", .string($0.file))] + $0.counts.json) }
        let value = JSONWriter.object([
            ("files", JSONWriter.array(fileValues)),
            ("total", JSONWriter.object(total.json)),
        ])
        return JSONWriter.write(value, style: .insertionOrder)
    }
}
