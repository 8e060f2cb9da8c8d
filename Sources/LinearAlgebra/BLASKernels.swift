import CLapack
import COpenBLASCore

/// Which CPU kernels OpenBLAS runs, and whether SwiftGAP re-selected them at load time.
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's) chooses kernels from the CPU's model number; a model newer
/// than the library falls back to generic SSE3 ("Prescott") kernels, 4-5x slower in dgemm than the
/// AVX2/AVX-512 kernels the same library ships (Debian's 0.3.21 on an Intel Xeon of family 6, model
/// 207: 15 against 73 GFLOP/s, one thread). A constructor in COpenBLASCore then selects the best
/// kernel set the CPU's instruction set allows, through OpenBLAS's documented `OPENBLAS_CORETYPE`,
/// before main. It never overrides a user's `OPENBLAS_CORETYPE` and never downgrades a choice.
public enum BLASKernels {
    /// The kernel set in use now, e.g. "Haswell" or "SkylakeX".
    public static var current: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown core"
    }

    /// The kernel set OpenBLAS chose by itself, when that was replaced; nil when its choice stands.
    public static var replacedChoice: String? {
        let choice = swiftgap_openblas_core_choice_made()
        guard choice.selected_core != nil, let detected = choice.detected_core else { return nil }
        return String(cString: detected)
    }

    /// The best kernel set this CPU's instructions allow ("SkylakeX", "Haswell"), or nil.
    public static var bestForThisCPU: String? {
        swiftgap_openblas_best_core_for_cpu().map { String(cString: $0) }
    }

    /// One line for logs and benchmark records, e.g. "SkylakeX (re-selected: OpenBLAS chose
    /// Prescott; OpenBLAS fell back to pre-AVX2 kernels on a CPU model it does not know)".
    public static var summary: String {
        let choice = swiftgap_openblas_core_choice_made()
        let reason = choice.reason.map { String(cString: $0) } ?? ""
        if let replaced = replacedChoice { return "\(current) (re-selected: OpenBLAS chose \(replaced); \(reason))" }
        return "\(current) (\(reason))"
    }
}
