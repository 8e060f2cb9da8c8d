import ArgumentParser
import AtomicStructures

/// The label-key options shared by every command that reads labels (`--energy-key` ...).
/// Each option is repeatable; a given list replaces that label's defaults.
public struct KeyOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("energy-key"), help: ArgumentHelp("Header key of the total energy (eV); repeatable, tried in order.", valueName: "key"))
    public var energy: [String] = []
    @Option(name: .customLong("forces-key"), help: ArgumentHelp("Per-atom column of the forces (eV/Å); repeatable.", valueName: "key"))
    public var forces: [String] = []
    @Option(name: .customLong("virial-key"), help: ArgumentHelp("Header key of the virial (eV); repeatable.", valueName: "key"))
    public var virial: [String] = []
    @Option(name: .customLong("stress-key"), help: ArgumentHelp("Header key of the stress (eV/Å³), used when no virial is found; repeatable.", valueName: "key"))
    public var stress: [String] = []
    @Option(name: .customLong("config-type-key"), help: ArgumentHelp("Header key of the configuration type; repeatable.", valueName: "key"))
    public var configType: [String] = []

    /// The defaults, with every list that was given on the command line replaced.
    public var labelKeys: LabelKeys {
        var keys = LabelKeys()
        if !energy.isEmpty { keys.energy = energy }
        if !forces.isEmpty { keys.forces = forces }
        if !virial.isEmpty { keys.virial = virial }
        if !stress.isEmpty { keys.stress = stress }
        if !configType.isEmpty { keys.configType = configType }
        return keys
    }
}
