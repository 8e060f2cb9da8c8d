// OpenBLAS built with DYNAMIC_ARCH (Debian's, for one) picks its kernels from the CPU's
// family/model numbers. A model newer than the library is not in its table and falls back to the
// generic "Prescott" SSE3 kernels: with Debian bookworm's 0.3.21 on an Intel Xeon of family 6,
// model 207, dgemm runs at 15 GFLOP/s instead of 73 with the AVX-512 kernels it ships. OpenBLAS
// documents OPENBLAS_CORETYPE as the override, read when its dynamic dispatch is initialised, so
// this file sets it for the length of one re-initialisation, before main, and only when the
// library fell back below AVX2 on a CPU that has AVX2 or better. A user's own OPENBLAS_CORETYPE is
// always respected. Everything here is looked up weakly: with another BLAS, or an OpenBLAS built
// for one CPU, the functions are absent and nothing happens.
#include "copenblascore.h"

#include <stdlib.h>
#include <string.h>

extern char *openblas_get_corename(void) __attribute__((weak));
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

static swiftgap_openblas_core_choice choice_made = {NULL, NULL, "not run"};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

static unsigned long long enabled_register_state(void) {
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((unsigned long long)high << 32) | low;
}

const char *swiftgap_openblas_best_core_for_cpu(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return NULL;
    int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!(fma && osxsave && avx)) return NULL;
    unsigned long long state = enabled_register_state();
    if ((state & 0x6) != 0x6) return NULL;  // the OS saves XMM and YMM
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return NULL;
    int avx2 = (ebx >> 5) & 1;
    if (!avx2) return NULL;
    int avx512 = ((ebx >> 16) & 1) && ((ebx >> 17) & 1) && ((ebx >> 28) & 1) && ((ebx >> 30) & 1)
        && ((ebx >> 31) & 1);  // F, DQ, CD, BW, VL: what OpenBLAS's SkylakeX kernels use
    if (avx512 && (state & 0xE6) == 0xE6) return "SkylakeX";  // and the OS saves opmask and ZMM
    return "Haswell";
}
#else
const char *swiftgap_openblas_best_core_for_cpu(void) { return NULL; }
#endif

// Kernel sets of OpenBLAS's x86-64 table that use AVX2 or AVX-512: any other choice on a CPU with
// AVX2 is a fallback (generic or older-model kernels), not a tuning decision.
static int uses_avx2_or_better(const char *core) {
    static const char *const modern[] = {
        "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "Excavator",
    };
    for (size_t i = 0; i < sizeof modern / sizeof modern[0]; i++) {
        if (strcasecmp(core, modern[i]) == 0) return 1;
    }
    return 0;
}

__attribute__((constructor)) static void select_openblas_core(void) {
    if (!openblas_get_corename || !gotoblas_dynamic_init || !gotoblas_dynamic_quit) {
        choice_made = (swiftgap_openblas_core_choice){NULL, NULL, "not a DYNAMIC_ARCH OpenBLAS"};
        return;
    }
    const char *detected = openblas_get_corename();
    choice_made = (swiftgap_openblas_core_choice){detected, NULL, "OpenBLAS's own choice"};
    if (getenv("OPENBLAS_CORETYPE") != NULL) {
        choice_made.reason = "OPENBLAS_CORETYPE is set";
        return;
    }
    const char *best = swiftgap_openblas_best_core_for_cpu();
    if (best == NULL || detected == NULL || uses_avx2_or_better(detected)) return;
    setenv("OPENBLAS_CORETYPE", best, 1);
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
    const char *now = openblas_get_corename();
    if (now != NULL && strcasecmp(now, best) == 0) {
        choice_made.selected_core = now;
        choice_made.reason = "OpenBLAS fell back to pre-AVX2 kernels on a CPU model it does not know";
    } else {
        choice_made.reason = "re-selection refused by OpenBLAS";
    }
}

swiftgap_openblas_core_choice swiftgap_openblas_core_choice_made(void) { return choice_made; }
