// The two per-pair loops of the SOAP density expansion and its reverse mode, eight doubles wide
// (AVX-512), for Descriptors' SOAPKernels. Each computes every element with the same operations
// in the same order as the portable Swift loops (a multiply, then an add; no fused multiply-add),
// so both paths give the same bits and either may run.
#ifndef SWIFTGAP_CSOAPKERNELS_H
#define SWIFTGAP_CSOAPKERNELS_H

#include <stdint.h>

/// 1 if this CPU and operating system run AVX-512 F and DQ code and the kernels below may be called,
/// else 0.
int swiftgap_soap_wide_available(void);

/// The largest l_max + 1 the kernels take (the radial values of one n fit two 8-wide registers).
#define SWIFTGAP_SOAP_WIDE_MAX_L_COUNT 16

/// c[n][lm] += Σ_k wR_{q_k}[n][l] Y_{q_k}[lm] over the pair slots q_k = slots[k], the sum over k
/// taken from zero in slot order and then added to c. Pair tables: wR at weighted_radial + q n_max
/// l_count ([n][l]), Y at harmonics + q l_count² ([lm], lm = l² + l + m). l_count at most
/// SWIFTGAP_SOAP_WIDE_MAX_L_COUNT.
void swiftgap_soap_accumulate_row(
    double *coefficients, const double *weighted_radial, const double *harmonics, const int64_t *slots,
    int64_t slot_count, int64_t n_max, int64_t l_count);

/// The most channels swiftgap_soap_power_spectrum takes (its transposed coefficients stay on the stack).
#define SWIFTGAP_SOAP_WIDE_MAX_SPECTRUM_CHANNELS 16

/// The full power spectrum v[(a(a+1)/2 + b) l_count + l] = ((1 if a = b else √2) ·
/// inverse_root_degeneracy[l]) · Σ_m c[a][lm] c[b][lm] for b ≤ a, each sum over m from zero in
/// order (SOAPKernels.powerSpectrum's operations), eight channels b in the lanes. channel_count
/// at most SWIFTGAP_SOAP_WIDE_MAX_SPECTRUM_CHANNELS, l_count at most SWIFTGAP_SOAP_WIDE_MAX_L_COUNT.
void swiftgap_soap_power_spectrum(
    const double *coefficients, int64_t channel_count, int64_t l_count, const double *inverse_root_degeneracy,
    double *values);

/// The adjoint of the full power spectrum: for channels a = 0 ... channel_count − 1 and b = 0 ... a
/// in that order, with u the next l_count values of spectrum_adjoint and
/// t_l = (2 if a = b else √2) · inverse_root_degeneracy[l] · u_l:
/// G[a][lm] += t_l c[b][lm] and, for b ≠ a, G[b][lm] += t_l c[a][lm] (c and G as [channel][lm]).
/// The operations and order of SOAPBlockState's scalar loop. l_count at most
/// SWIFTGAP_SOAP_WIDE_MAX_L_COUNT.
void swiftgap_soap_power_spectrum_adjoint(
    const double *coefficients, const double *spectrum_adjoint, const double *inverse_root_degeneracy,
    int64_t channel_count, int64_t l_count, double *adjoint);

/// The weighted radial functions of one pair from its quintic-spline interval: with a_k the k-th
/// coefficient row (count values each, at `rows + k count`) and t the position in the interval,
/// R = a0 + t(a1 + t(a2 + t(a3 + t(a4 + t a5)))), R′ = (a1 + t(2a2 + t(3a3 + t(4a4 + 5t a5)))) / step,
/// weighted[j] = w R_j and, if `weighted_slope` is not null, weighted_slope[j] = w′ R_j + w R′_j.
void swiftgap_soap_weighted_spline(
    const double *rows, int64_t count, double t, double inverse_step, double w, double dw, double *weighted,
    double *weighted_slope);

/// The real spherical harmonics Y_lm of `count` pairs at once, eight pairs to the lanes, with the
/// operations of RealSphericalHarmonics.compute (values only) in its order: pair k's direction is
/// vectors[4 p_k ...] / distances[p_k] for p_k = pairs[k] (vectors as SIMD3<Double>, four doubles
/// apart), its values go to values + k (l_max + 1)² at l² + l + m. Tables as that type keeps them:
/// diagonal and off_diagonal indexed by m, recurrence_a and recurrence_b by l(l+1)/2 + m.
/// l_max at most SWIFTGAP_SOAP_WIDE_MAX_L_COUNT − 1.
void swiftgap_soap_harmonics(
    const double *vectors, const double *distances, const int64_t *pairs, int64_t count, int64_t l_max,
    const double *diagonal, const double *off_diagonal, const double *recurrence_a, const double *recurrence_b,
    double *values);

/// The angular parts of `count` pairs (as swiftgap_soap_harmonics reads them), eight at a time,
/// with the operations of RealSphericalHarmonics.angularParts, in blocks of eight pairs: the block
/// of pairs 8b ... 8b + 7 starts at records + 8 b S, with S = 4 + T + 2 (l_max + 2) fields and
/// T = (l_max + 1)(l_max + 2)/2, and field f of its pair k is at 8 f + k. The fields: x, y, z
/// (the unit vector), 1/r, the normalised Legendre functions at 4 + l(l+1)/2 + m, then c_m and
/// s_m of (x + iy)^m (m = 0 ... l_max, each run l_max + 2 long). Whole blocks are written: room
/// for 8 ⌈count/8⌉ S doubles.
void swiftgap_soap_angular_parts(
    const double *vectors, const double *distances, const int64_t *pairs, int64_t count, int64_t l_max,
    const double *diagonal, const double *off_diagonal, const double *recurrence_a, const double *recurrence_b,
    double *records);

/// The reverse-mode gradients dE/dr of `count` (1 to 8) pairs of one channel at once, the pairs in
/// the lanes: per lane the operations of SOAPKernels.pairWeights (h and h′ from the channel's
/// coefficient adjoint G at `adjoint`, [n][lm], and the pair's wR and (wR)′ at weighted_radial
/// + k n_max (l_max + 1) and weighted_slope + the same), then of RealSphericalHarmonics.contract
/// and the pair gradient (value / r) r⃗ + b, in their order. `records` is one block of
/// swiftgap_soap_angular_parts, dz the Legendre z-derivative factors
/// (RealSphericalHarmonics.zDerivative), pair k's vector and distance at vectors + 4 p_k and
/// distances + p_k (p_k = pairs[k]); its gradient goes to gradients + 3 slots[k]. `scratch` holds
/// 16 (n_max (l_max + 1) + (l_max + 1)²) doubles.
void swiftgap_soap_pair_gradients(
    const double *records, const double *adjoint, const double *weighted_radial, const double *weighted_slope, int64_t count,
    int64_t n_max, int64_t l_max, const double *dz, const double *vectors, const double *distances, const int64_t *pairs,
    const int64_t *slots, double *scratch, double *gradients);

/// The dot-product kernel's elementwise pass over a block's products G = D Xᵀ (`rows` x `m`,
/// row-major): each row's energy Σ_c ((α_c d2) G^power) G, summed over c from zero in order, into
/// energies, and W = ((α_c d2) zeta) G^power written over G (power = ζ − 1, G^power as Kernels'
/// integerPower forms it): the operations of Kernels' portable loop, element for element. `terms`
/// holds 8 m doubles of scratch.
void swiftgap_kernel_block_energies(
    double *g, int64_t rows, int64_t m, const double *alpha, double d2, double zeta, int64_t power, double *energies,
    double *terms);

#endif
