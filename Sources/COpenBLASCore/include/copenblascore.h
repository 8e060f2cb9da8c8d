// Re-selects OpenBLAS's CPU kernels when its run-time detection fell back to pre-AVX2 kernels on
// a CPU that has AVX2 or AVX-512 (a CPU model newer than the library), for LinearAlgebra.
#ifndef SWIFTGAP_COPENBLASCORE_H
#define SWIFTGAP_COPENBLASCORE_H

/// What happened when the library was loaded.
typedef struct {
    /// The kernel set OpenBLAS chose by itself ("Prescott", "Haswell", ...); NULL when the linked
    /// BLAS is not a DYNAMIC_ARCH OpenBLAS.
    const char *detected_core;
    /// The kernel set selected instead, or NULL when OpenBLAS's own choice was kept.
    const char *selected_core;
    /// Why the choice was kept or changed, one sentence.
    const char *reason;
} swiftgap_openblas_core_choice;

/// The choice made at load time (the selection runs once, in a constructor, before main).
swiftgap_openblas_core_choice swiftgap_openblas_core_choice_made(void);

/// The kernel set this CPU supports at best, as an OpenBLAS core name ("SkylakeX" with the
/// AVX-512 F/CD/BW/DQ/VL instructions enabled by the OS, "Haswell" with AVX2 and FMA), or NULL.
const char *swiftgap_openblas_best_core_for_cpu(void);

#endif
