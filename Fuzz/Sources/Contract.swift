// The contract every harness checks: a reader answers bad input with an InputError, nothing else.
// Compiled into each harness by Fuzz/run.sh.
import AtomicStructures
import Support

/// Turns any error other than `InputError` into a crash, so that libFuzzer records it as a finding.
@inline(never)
func expectInputError(_ error: Error, _ stage: String) {
    guard error is InputError else {
        fatalError("\(stage) threw \(type(of: error)), not InputError: \(error)")
    }
}
