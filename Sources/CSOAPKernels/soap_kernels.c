// The SOAP expansion, its radial splines and harmonics, the power-spectrum adjoint and the
// reverse-mode pair gradients in AVX-512. The expansion and the power-spectrum adjoint are
// vectorised over lm: eight consecutive lm of one n take their radial factor wR[n][l(lm)] (or
// t_l) from the l_count values of that n by a lane permutation (l(lm) = ⌊√lm⌋ is fixed per lane),
// so the short 2l + 1 runs of m cost nothing extra; the harmonics and the pair gradients put eight
// pairs in the lanes. Multiply and add stay separate (no FMA) so that every element is rounded as
// in the portable Swift loops: the two paths give identical bits.
#include "csoapkernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#include <math.h>

#define WIDE __attribute__((target("avx512f,avx512dq")))

// Eight chunks of eight lm are carried in registers per pass (64 lm: all of l_max ≤ 7).
enum { chunks_per_pass = 8, max_chunks = (SWIFTGAP_SOAP_WIDE_MAX_L_COUNT * SWIFTGAP_SOAP_WIDE_MAX_L_COUNT + 7) / 8 };

int swiftgap_soap_wide_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") ? 1 : 0;
}

// Per l_count and chunk j of eight lm: each lane's l (0 past the end) and the mask of lanes
// inside l_count². Plain integers, filled once before main (no AVX-512 instruction runs there).
static int64_t lane_l[SWIFTGAP_SOAP_WIDE_MAX_L_COUNT + 1][max_chunks][8];
static uint8_t lane_mask[SWIFTGAP_SOAP_WIDE_MAX_L_COUNT + 1][max_chunks];

__attribute__((constructor)) static void fill_lane_tables(void) {
    for (int64_t l_count = 1; l_count <= SWIFTGAP_SOAP_WIDE_MAX_L_COUNT; l_count++) {
        const int64_t lm = l_count * l_count;
        for (int64_t element = 0; element < lm; element++) {
            int64_t l = 0;
            while ((l + 1) * (l + 1) <= element) l++;
            lane_l[l_count][element / 8][element % 8] = l;
            lane_mask[l_count][element / 8] |= (uint8_t)(1u << (element % 8));
        }
    }
}

typedef struct {
    const int64_t (*lanes)[8];
    const uint8_t *masks;
    int chunk_count;
    __mmask8 low_mask, high_mask;  // the lanes of wR[n][0..7] and wR[n][8..15] that exist
} lane_layout;

static inline lane_layout layout_for(int64_t l_count) {
    lane_layout layout;
    layout.lanes = (const int64_t (*)[8])lane_l[l_count];
    layout.masks = lane_mask[l_count];
    layout.chunk_count = (int)((l_count * l_count + 7) / 8);
    layout.low_mask = (__mmask8)(l_count >= 8 ? 0xFF : (1u << l_count) - 1);
    layout.high_mask = (__mmask8)(l_count <= 8 ? 0 : (1u << (l_count - 8)) - 1);
    return layout;
}

// The radial values of one n (l_count ≤ 16 of them) in one or two registers.
typedef struct { __m512d low, high; } radial_row;

__attribute__((always_inline)) WIDE static inline radial_row load_radial_row(
    const double *w, const int two_registers, __mmask8 low_mask, __mmask8 high_mask) {
    radial_row row;
    row.low = _mm512_maskz_loadu_pd(low_mask, w);
    row.high = two_registers ? _mm512_maskz_loadu_pd(high_mask, w + 8) : row.low;
    return row;
}

// Each lane's radial value wR[l(lane)] for one chunk of lm.
__attribute__((always_inline)) WIDE static inline __m512d radial_lanes(radial_row row, __m512i index, const int two_registers) {
    return two_registers ? _mm512_permutex2var_pd(row.low, index, row.high) : _mm512_permutexvar_pd(index, row.low);
}

// Lane k's offset k · stride, for eight pairs' (or channels') values in rows of `stride`.
__attribute__((always_inline)) WIDE static inline __m512i lane_offsets(int64_t stride) {
    return _mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi64(stride));
}

// Chunk j of eight lm values at p; the last chunk of a pass masked.
__attribute__((always_inline)) WIDE static inline __m512d load_chunk(const double *p, int j, int count, __mmask8 last_mask) {
    return j == count - 1 ? _mm512_maskz_loadu_pd(last_mask, p + 8 * j) : _mm512_loadu_pd(p + 8 * j);
}

// Calls PASS(c) with c the compile-time constant equal to `count` (1 to chunks_per_pass), so each
// pass is compiled for its own chunk count.
#define FOR_CONSTANT_COUNT(count, PASS) \
    switch (count) { \
    case 1: PASS(1); break; \
    case 2: PASS(2); break; \
    case 3: PASS(3); break; \
    case 4: PASS(4); break; \
    case 5: PASS(5); break; \
    case 6: PASS(6); break; \
    case 7: PASS(7); break; \
    default: PASS(8); break; \
    }

// One pass of `count` chunks (a compile-time constant in every caller, so the loops unroll and the
// sums, lane indices and radial values stay in registers); only the pass's last chunk may be
// partial (`last_mask`).
__attribute__((always_inline)) WIDE static inline void accumulate_pass(
    const int count, const int two_registers, double *out, const double *weighted_radial, const double *harmonics, const int64_t *slots,
    int64_t slot_count, int64_t nl, int64_t lm, int64_t l_count, const int64_t (*lanes)[8], __mmask8 last_mask,
    __mmask8 low_mask, __mmask8 high_mask) {
    __m512i index[chunks_per_pass];
    for (int j = 0; j < count; j++) index[j] = _mm512_loadu_si512((const void *)lanes[j]);
    __m512d sum[chunks_per_pass];
    for (int j = 0; j < count; j++) sum[j] = _mm512_setzero_pd();
    for (int64_t k = 0; k < slot_count; k++) {
        const int64_t q = slots[k];
        const radial_row row = load_radial_row(weighted_radial + q * nl, two_registers, low_mask, high_mask);
        const double *y = harmonics + q * lm;
        for (int j = 0; j < count; j++) {
            const __m512d harmonic = load_chunk(y, j, count, last_mask);
            sum[j] = _mm512_add_pd(sum[j], _mm512_mul_pd(radial_lanes(row, index[j], two_registers), harmonic));
        }
    }
    for (int j = 0; j < count; j++) {
        const __mmask8 mask = j == count - 1 ? last_mask : 0xFF;
        const __m512d old = _mm512_maskz_loadu_pd(mask, out + 8 * j);
        _mm512_mask_storeu_pd(out + 8 * j, mask, _mm512_add_pd(old, sum[j]));
    }
    (void)l_count;
}

WIDE void swiftgap_soap_accumulate_row(
    double *coefficients, const double *weighted_radial, const double *harmonics, const int64_t *slots,
    int64_t slot_count, int64_t n_max, int64_t l_count) {
    const lane_layout layout = layout_for(l_count);
    const int two = l_count > 8;
    const int64_t lm = l_count * l_count, nl = n_max * l_count;
    for (int first = 0; first < layout.chunk_count; first += chunks_per_pass) {
        const int count = layout.chunk_count - first < chunks_per_pass ? layout.chunk_count - first : chunks_per_pass;
        const __mmask8 last_mask = layout.masks[first + count - 1];
        for (int64_t n = 0; n < n_max; n++) {
            double *out = coefficients + n * lm + 8 * first;
            const double *w = weighted_radial + n * l_count;
            const double *y = harmonics + 8 * first;
            const int64_t (*lanes)[8] = layout.lanes + first;
#define PASS(c) if (two) accumulate_pass(c, 1, out, w, y, slots, slot_count, nl, lm, l_count, lanes, last_mask, layout.low_mask, layout.high_mask); \
    else accumulate_pass(c, 0, out, w, y, slots, slot_count, nl, lm, l_count, lanes, last_mask, layout.low_mask, layout.high_mask)
            FOR_CONSTANT_COUNT(count, PASS);
#undef PASS
        }
    }
}

// One pass of `count` chunks of the power-spectrum adjoint for the channel pair (a, b): G_a += t c_b
// and, off the diagonal, G_b += t c_a, with t[l] of the pair in a radial row (as accumulate_pass).
__attribute__((always_inline)) WIDE static inline void spectrum_adjoint_pass(
    const int count, const int two_registers, const int diagonal, radial_row t, const double *ca, const double *cb,
    double *ga, double *gb, const int64_t (*lanes)[8], __mmask8 last_mask) {
    for (int j = 0; j < count; j++) {
        const __m512i index = _mm512_loadu_si512((const void *)lanes[j]);
        const __m512d tj = radial_lanes(t, index, two_registers);
        const __mmask8 mask = j == count - 1 ? last_mask : 0xFF;
        if (diagonal) {
            const __m512d g = _mm512_maskz_loadu_pd(mask, ga + 8 * j);
            _mm512_mask_storeu_pd(ga + 8 * j, mask, _mm512_add_pd(g, _mm512_mul_pd(tj, _mm512_maskz_loadu_pd(mask, ca + 8 * j))));
        } else {
            const __m512d g = _mm512_maskz_loadu_pd(mask, ga + 8 * j);
            _mm512_mask_storeu_pd(ga + 8 * j, mask, _mm512_add_pd(g, _mm512_mul_pd(tj, _mm512_maskz_loadu_pd(mask, cb + 8 * j))));
            const __m512d h = _mm512_maskz_loadu_pd(mask, gb + 8 * j);
            _mm512_mask_storeu_pd(gb + 8 * j, mask, _mm512_add_pd(h, _mm512_mul_pd(tj, _mm512_maskz_loadu_pd(mask, ca + 8 * j))));
        }
    }
}

WIDE void swiftgap_soap_power_spectrum_adjoint(
    const double *coefficients, const double *spectrum_adjoint, const double *inverse_root_degeneracy,
    int64_t channel_count, int64_t l_count, double *adjoint) {
    const lane_layout layout = layout_for(l_count);
    const int two = l_count > 8;
    const int64_t lm = l_count * l_count;
    const double root2 = sqrt(2.0);
    const radial_row k = load_radial_row(inverse_root_degeneracy, two, layout.low_mask, layout.high_mask);
    const double *u = spectrum_adjoint;
    for (int64_t a = 0; a < channel_count; a++) {
        for (int64_t b = 0; b <= a; b++) {
            const int diagonal = a == b;
            // t_l = (2 or √2) k_l ∂E/∂p_abl, as the scalar loop forms it.
            const __m512d scale = _mm512_set1_pd(diagonal ? 2.0 : root2);
            const radial_row ul = load_radial_row(u, two, layout.low_mask, layout.high_mask);
            radial_row t;
            t.low = _mm512_mul_pd(_mm512_mul_pd(scale, k.low), ul.low);
            t.high = two ? _mm512_mul_pd(_mm512_mul_pd(scale, k.high), ul.high) : t.low;
            const double *ca = coefficients + a * lm, *cb = coefficients + b * lm;
            double *ga = adjoint + a * lm, *gb = adjoint + b * lm;
            for (int first = 0; first < layout.chunk_count; first += chunks_per_pass) {
                const int count = layout.chunk_count - first < chunks_per_pass ? layout.chunk_count - first : chunks_per_pass;
                const __mmask8 last_mask = layout.masks[first + count - 1];
                const int64_t offset = 8 * first;
                const int64_t (*lanes)[8] = layout.lanes + first;
#define PASS(c) if (two) spectrum_adjoint_pass(c, 1, diagonal, t, ca + offset, cb + offset, ga + offset, gb + offset, lanes, last_mask); \
    else spectrum_adjoint_pass(c, 0, diagonal, t, ca + offset, cb + offset, ga + offset, gb + offset, lanes, last_mask)
                FOR_CONSTANT_COUNT(count, PASS);
#undef PASS
            }
            u += l_count;
        }
    }
}

WIDE void swiftgap_soap_power_spectrum(
    const double *coefficients, int64_t channel_count, int64_t l_count, const double *inverse_root_degeneracy,
    double *values) {
    const int64_t lm = l_count * l_count, width = 8 * ((channel_count + 7) / 8);
    // The coefficients transposed, [lm][channel] (zeros past the last channel), so that eight
    // channels b sit in the lanes.
    double transposed[SWIFTGAP_SOAP_WIDE_MAX_L_COUNT * SWIFTGAP_SOAP_WIDE_MAX_L_COUNT * SWIFTGAP_SOAP_WIDE_MAX_SPECTRUM_CHANNELS];
    for (int64_t k = 0; k < lm; k++) {
        for (int64_t b = 0; b < width; b++) transposed[k * width + b] = b < channel_count ? coefficients[b * lm + k] : 0.0;
    }
    const double root2 = sqrt(2.0);
    const __m512i out_lanes = lane_offsets(l_count);
    for (int64_t a = 0; a < channel_count; a++) {
        const double *ca = coefficients + a * lm;
        const int64_t pair_base = a * (a + 1) / 2;  // the pair (a, 0)
        for (int64_t b0 = 0; b0 <= a; b0 += 8) {
            const int64_t active = a - b0 + 1 < 8 ? a - b0 + 1 : 8;
            const __mmask8 mask = (__mmask8)((1u << active) - 1);
            // 1 for the diagonal pair (a, a), √2 for the others.
            const __mmask8 diagonal = a - b0 < 8 ? (__mmask8)(1u << (a - b0)) : 0;
            const __m512d scale = _mm512_mask_blend_pd(diagonal, _mm512_set1_pd(root2), _mm512_set1_pd(1.0));
            double *out = values + (pair_base + b0) * l_count;
            for (int64_t l = 0; l < l_count; l++) {
                __m512d sum = _mm512_setzero_pd();
                for (int64_t k = l * l; k <= l * l + 2 * l; k++) {
                    sum = _mm512_add_pd(sum, _mm512_mul_pd(_mm512_set1_pd(ca[k]), _mm512_loadu_pd(transposed + k * width + b0)));
                }
                const __m512d value = _mm512_mul_pd(_mm512_mul_pd(scale, _mm512_set1_pd(inverse_root_degeneracy[l])), sum);
                _mm512_mask_i64scatter_pd(out + l, mask, out_lanes, value, 8);
            }
        }
    }
}

WIDE void swiftgap_soap_weighted_spline(
    const double *rows, int64_t count, double t, double inverse_step, double w, double dw, double *weighted,
    double *weighted_slope) {
    const __m512d tv = _mm512_set1_pd(t), t5 = _mm512_mul_pd(tv, _mm512_set1_pd(5.0));
    const __m512d step = _mm512_set1_pd(inverse_step), wv = _mm512_set1_pd(w), dwv = _mm512_set1_pd(dw);
    const __m512d two = _mm512_set1_pd(2.0), three = _mm512_set1_pd(3.0), four = _mm512_set1_pd(4.0);
    for (int64_t j = 0; j < count; j += 8) {
        const __mmask8 mask = count - j >= 8 ? 0xFF : (__mmask8)((1u << (count - j)) - 1);
        const __m512d c0 = _mm512_maskz_loadu_pd(mask, rows + j);
        const __m512d c1 = _mm512_maskz_loadu_pd(mask, rows + count + j);
        const __m512d c2 = _mm512_maskz_loadu_pd(mask, rows + 2 * count + j);
        const __m512d c3 = _mm512_maskz_loadu_pd(mask, rows + 3 * count + j);
        const __m512d c4 = _mm512_maskz_loadu_pd(mask, rows + 4 * count + j);
        const __m512d c5 = _mm512_maskz_loadu_pd(mask, rows + 5 * count + j);
        // The operations of RadialSpline.value and .slope, in their order.
        const __m512d v4 = _mm512_add_pd(c4, _mm512_mul_pd(tv, c5));
        const __m512d v3 = _mm512_add_pd(c3, _mm512_mul_pd(tv, v4));
        const __m512d v2 = _mm512_add_pd(c2, _mm512_mul_pd(tv, v3));
        const __m512d radial = _mm512_add_pd(c0, _mm512_mul_pd(tv, _mm512_add_pd(c1, _mm512_mul_pd(tv, v2))));
        _mm512_mask_storeu_pd(weighted + j, mask, _mm512_mul_pd(wv, radial));
        if (weighted_slope) {
            const __m512d d4 = _mm512_add_pd(_mm512_mul_pd(four, c4), _mm512_mul_pd(t5, c5));
            const __m512d d3 = _mm512_add_pd(_mm512_mul_pd(three, c3), _mm512_mul_pd(tv, d4));
            const __m512d d2 = _mm512_add_pd(_mm512_mul_pd(two, c2), _mm512_mul_pd(tv, d3));
            const __m512d slope = _mm512_mul_pd(_mm512_add_pd(c1, _mm512_mul_pd(tv, d2)), step);
            _mm512_mask_storeu_pd(
                weighted_slope + j, mask, _mm512_add_pd(_mm512_mul_pd(dwv, radial), _mm512_mul_pd(wv, slope)));
        }
    }
}

enum { max_l = SWIFTGAP_SOAP_WIDE_MAX_L_COUNT - 1, max_triangle = (max_l + 1) * (max_l + 2) / 2 };

// The vectors (x, y, z) and distances of up to eight pairs (pair indices in the masked lanes);
// inactive lanes read pair 0 (any valid pair) and are never stored.
typedef struct {
    __m512d x, y, z, r;
} pair_geometry;

__attribute__((always_inline)) WIDE static inline pair_geometry gather_pair_geometry(
    __mmask8 mask, const int64_t *pairs, const double *vectors, const double *distances) {
    const __m512i p = _mm512_maskz_loadu_epi64(mask, pairs);
    const __m512i index = _mm512_mask_blend_epi64(mask, _mm512_setzero_si512(), _mm512_slli_epi64(p, 2));
    const __m512i index_r = _mm512_mask_blend_epi64(mask, _mm512_setzero_si512(), p);
    pair_geometry g;
    g.x = _mm512_i64gather_pd(index, vectors, 8);
    g.y = _mm512_i64gather_pd(index, vectors + 1, 8);
    g.z = _mm512_i64gather_pd(index, vectors + 2, 8);
    g.r = _mm512_i64gather_pd(index_r, distances, 8);
    return g;
}

// The angular parts of eight pairs (RealSphericalHarmonics.angularParts, operation for operation):
// x, y, z, 1/r, the normalised Legendre functions q (triangle, l(l+1)/2 + m) and (x + iy)^m.
typedef struct {
    __m512d x, y, z, inverse;
    __m512d q[max_triangle], cosines[max_l + 2], sines[max_l + 2];
    __mmask8 mask;
} angular_batch;

__attribute__((always_inline)) WIDE static inline void angular_parts(
    angular_batch *batch, const double *vectors, const double *distances, const int64_t *pairs, int64_t first,
    int64_t count, int64_t l_max, const double *diagonal, const double *off_diagonal, const double *recurrence_a,
    const double *recurrence_b) {
    const int64_t active = count - first < 8 ? count - first : 8;
    const __mmask8 mask = (__mmask8)((1u << active) - 1);
    batch->mask = mask;
    const pair_geometry g = gather_pair_geometry(mask, pairs + first, vectors, distances);
    const __m512d inverse = _mm512_div_pd(_mm512_set1_pd(1.0), g.r);
    const __m512d x = _mm512_mul_pd(g.x, inverse), y = _mm512_mul_pd(g.y, inverse), z = _mm512_mul_pd(g.z, inverse);
    batch->x = x;
    batch->y = y;
    batch->z = z;
    batch->inverse = inverse;
    __m512d *q = batch->q;
    for (int64_t m = 0; m <= l_max; m++) {
        const __m512d d = _mm512_set1_pd(diagonal[m]);
        q[m * (m + 1) / 2 + m] = d;
        if (m < l_max) q[(m + 1) * (m + 2) / 2 + m] = _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(off_diagonal[m]), z), d);
    }
    for (int64_t l = 2; l <= l_max; l++) {
        const int64_t row = l * (l + 1) / 2, previous = row - l, before = row - l - (l - 1);
        for (int64_t m = 0; m <= l - 2; m++) {
            const __m512d first_term = _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(recurrence_a[row + m]), z), q[previous + m]);
            q[row + m] = _mm512_add_pd(first_term, _mm512_mul_pd(_mm512_set1_pd(recurrence_b[row + m]), q[before + m]));
        }
    }
    batch->cosines[0] = _mm512_set1_pd(1.0);
    batch->sines[0] = _mm512_setzero_pd();
    for (int64_t m = 1; m <= l_max; m++) {
        batch->cosines[m] = _mm512_sub_pd(_mm512_mul_pd(batch->cosines[m - 1], x), _mm512_mul_pd(batch->sines[m - 1], y));
        batch->sines[m] = _mm512_add_pd(_mm512_mul_pd(batch->cosines[m - 1], y), _mm512_mul_pd(batch->sines[m - 1], x));
    }
}

WIDE void swiftgap_soap_harmonics(
    const double *vectors, const double *distances, const int64_t *pairs, int64_t count, int64_t l_max,
    const double *diagonal, const double *off_diagonal, const double *recurrence_a, const double *recurrence_b,
    double *values) {
    angular_batch batch;
    const int64_t lm = (l_max + 1) * (l_max + 1);
    const __m512i row_stride = lane_offsets(lm);
    for (int64_t first = 0; first < count; first += 8) {
        angular_parts(&batch, vectors, distances, pairs, first, count, l_max, diagonal, off_diagonal, recurrence_a, recurrence_b);
        const __mmask8 mask = batch.mask;
        double *out = values + first * lm;
        for (int64_t l = 0; l <= l_max; l++) {
            const int64_t row = l * (l + 1) / 2, centre = l * l + l;
            _mm512_mask_i64scatter_pd(out + centre, mask, row_stride, batch.q[row], 8);
            for (int64_t m = 1; m <= l; m++) {
                _mm512_mask_i64scatter_pd(out + centre + m, mask, row_stride, _mm512_mul_pd(batch.q[row + m], batch.cosines[m]), 8);
                _mm512_mask_i64scatter_pd(out + centre - m, mask, row_stride, _mm512_mul_pd(batch.q[row + m], batch.sines[m]), 8);
            }
        }
    }
}

WIDE void swiftgap_soap_angular_parts(
    const double *vectors, const double *distances, const int64_t *pairs, int64_t count, int64_t l_max,
    const double *diagonal, const double *off_diagonal, const double *recurrence_a, const double *recurrence_b,
    double *records) {
    angular_batch batch;
    const int64_t triangle = (l_max + 1) * (l_max + 2) / 2;
    const int64_t stride = 4 + triangle + 2 * (l_max + 2);
    for (int64_t first = 0; first < count; first += 8) {
        angular_parts(&batch, vectors, distances, pairs, first, count, l_max, diagonal, off_diagonal, recurrence_a, recurrence_b);
        // One block of eight pairs, field by field (whole registers: lanes past `count` hold pair
        // 0's values and are never read as pairs).
        double *out = records + first * stride;
        _mm512_storeu_pd(out, batch.x);
        _mm512_storeu_pd(out + 8, batch.y);
        _mm512_storeu_pd(out + 16, batch.z);
        _mm512_storeu_pd(out + 24, batch.inverse);
        for (int64_t t = 0; t < triangle; t++) _mm512_storeu_pd(out + 8 * (4 + t), batch.q[t]);
        double *cosines = out + 8 * (4 + triangle), *sines = cosines + 8 * (l_max + 2);
        for (int64_t m = 0; m <= l_max; m++) {
            _mm512_storeu_pd(cosines + 8 * m, batch.cosines[m]);
            _mm512_storeu_pd(sines + 8 * m, batch.sines[m]);
        }
    }
}

WIDE void swiftgap_soap_pair_gradients(
    const double *records, const double *adjoint, const double *weighted_radial, const double *weighted_slope, int64_t count,
    int64_t n_max, int64_t l_max, const double *dz, const double *vectors, const double *distances, const int64_t *pairs,
    const int64_t *slots, double *scratch, double *gradients) {
    const int64_t l_count = l_max + 1, lm = l_count * l_count, nl = n_max * l_count;
    const int64_t triangle = (l_max + 1) * (l_max + 2) / 2;
    const __mmask8 mask = (__mmask8)((1u << count) - 1);
    const __m512d zero = _mm512_setzero_pd();
    // The eight pairs' wR and (wR)' with the pairs in the lanes: radial[8 j + k] = wR_k[j].
    double *radial = scratch, *slope = scratch + 8 * nl, *h = slope + 8 * nl, *hs = h + 8 * lm;
    const __m512i radial_lanes_index = lane_offsets(nl);
    for (int64_t j = 0; j < nl; j++) {
        _mm512_storeu_pd(radial + 8 * j, _mm512_mask_i64gather_pd(zero, mask, radial_lanes_index, weighted_radial + j, 8));
        _mm512_storeu_pd(slope + 8 * j, _mm512_mask_i64gather_pd(zero, mask, radial_lanes_index, weighted_slope + j, 8));
    }
    // h_lm = sum_n G[n][lm] wR[n][l] and h'_lm, each sum over n from zero in order
    // (SOAPKernels.pairWeights per lane; G is the batch's channel block, the same for all lanes).
    for (int64_t l = 0; l <= l_max; l++) {
        for (int64_t i = l * l; i <= l * l + 2 * l; i++) {
            __m512d value = zero, value_slope = zero;
            for (int64_t n = 0; n < n_max; n++) {
                const __m512d g = _mm512_set1_pd(adjoint[n * lm + i]);
                value = _mm512_add_pd(value, _mm512_mul_pd(_mm512_loadu_pd(radial + 8 * (n * l_count + l)), g));
                value_slope = _mm512_add_pd(value_slope, _mm512_mul_pd(_mm512_loadu_pd(slope + 8 * (n * l_count + l)), g));
            }
            _mm512_storeu_pd(h + 8 * i, value);
            _mm512_storeu_pd(hs + 8 * i, value_slope);
        }
    }
    // A record field of the eight pairs, and h or h' at component i.
#define FIELD(base, i) _mm512_loadu_pd((base) + 8 * (i))
    const double *q = records + 8 * 4, *c = records + 8 * (4 + triangle), *s = c + 8 * (l_max + 2);
    const __m512d x = FIELD(records, 0), y = FIELD(records, 1), z = FIELD(records, 2), inverse = FIELD(records, 3);
    __m512d value = zero, sx = zero, sy = zero, sz = zero;
    // m = 0: F = Q_l^0(z), dF/dz = dz Q_l^1.
    for (int64_t l = 0; l <= l_max; l++) {
        const int64_t row = l * (l + 1) / 2, centre = l * l + l;
        value = _mm512_add_pd(value, _mm512_mul_pd(FIELD(hs, centre), FIELD(q, row)));
        if (l >= 1) sz = _mm512_add_pd(sz, _mm512_mul_pd(FIELD(h, centre), _mm512_mul_pd(_mm512_set1_pd(dz[row]), FIELD(q, row + 1))));
    }
    // m > 0: each order's six chains over l, then its terms, in increasing m.
    for (int64_t m = 1; m <= l_max; m++) {
        __m512d vc = zero, vs = zero, xc = zero, xs = zero, zc = zero, zs = zero;
        for (int64_t l = m; l <= l_max; l++) {
            const int64_t row = l * (l + 1) / 2, centre = l * l + l;
            const __m512d qm = FIELD(q, row + m);
            const __m512d dq = m < l ? _mm512_mul_pd(_mm512_set1_pd(dz[row + m]), FIELD(q, row + m + 1)) : zero;
            const __m512d cosine = FIELD(h, centre + m), sine = FIELD(h, centre - m);
            vc = _mm512_add_pd(vc, _mm512_mul_pd(qm, FIELD(hs, centre + m)));
            vs = _mm512_add_pd(vs, _mm512_mul_pd(qm, FIELD(hs, centre - m)));
            xc = _mm512_add_pd(xc, _mm512_mul_pd(qm, cosine));
            xs = _mm512_add_pd(xs, _mm512_mul_pd(qm, sine));
            zc = _mm512_add_pd(zc, _mm512_mul_pd(dq, cosine));
            zs = _mm512_add_pd(zs, _mm512_mul_pd(dq, sine));
        }
        const __m512d dm = _mm512_set1_pd((double)m);
        const __m512d cm = FIELD(c, m), sm = FIELD(s, m), cp = FIELD(c, m - 1), sp = FIELD(s, m - 1);
        value = _mm512_add_pd(value, _mm512_add_pd(_mm512_mul_pd(vc, cm), _mm512_mul_pd(vs, sm)));
        sx = _mm512_add_pd(sx, _mm512_mul_pd(dm, _mm512_add_pd(_mm512_mul_pd(xc, cp), _mm512_mul_pd(xs, sp))));
        sy = _mm512_add_pd(sy, _mm512_mul_pd(dm, _mm512_sub_pd(_mm512_mul_pd(xs, cp), _mm512_mul_pd(xc, sp))));
        sz = _mm512_add_pd(sz, _mm512_add_pd(_mm512_mul_pd(zc, cm), _mm512_mul_pd(zs, sm)));
    }
#undef FIELD
    const __m512d radial_sum = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(x, sx), _mm512_mul_pd(y, sy)), _mm512_mul_pd(z, sz));
    const __m512d bx = _mm512_mul_pd(_mm512_sub_pd(sx, _mm512_mul_pd(x, radial_sum)), inverse);
    const __m512d by = _mm512_mul_pd(_mm512_sub_pd(sy, _mm512_mul_pd(y, radial_sum)), inverse);
    const __m512d bz = _mm512_mul_pd(_mm512_sub_pd(sz, _mm512_mul_pd(z, radial_sum)), inverse);
    // dE/dr = (value / r) r_vector + b, as the scalar pair gradient.
    const pair_geometry g = gather_pair_geometry(mask, pairs, vectors, distances);
    const __m512d t = _mm512_div_pd(value, g.r);
    const __m512i out = _mm512_mullo_epi64(_mm512_maskz_loadu_epi64(mask, slots), _mm512_set1_epi64(3));
    _mm512_mask_i64scatter_pd(gradients, mask, out, _mm512_add_pd(_mm512_mul_pd(t, g.x), bx), 8);
    _mm512_mask_i64scatter_pd(gradients + 1, mask, out, _mm512_add_pd(_mm512_mul_pd(t, g.y), by), 8);
    _mm512_mask_i64scatter_pd(gradients + 2, mask, out, _mm512_add_pd(_mm512_mul_pd(t, g.z), bz), 8);
}

// x^n as Kernels' integerPower forms it (the same multiplications in the same order), eight lanes.
__attribute__((always_inline)) WIDE static inline __m512d integer_power(__m512d x, int64_t n) {
    switch (n) {
    case 1: return x;
    case 2: return _mm512_mul_pd(x, x);
    case 3: return _mm512_mul_pd(x, _mm512_mul_pd(x, x));
    case 4: return _mm512_mul_pd(_mm512_mul_pd(x, x), _mm512_mul_pd(x, x));
    default: break;
    }
    __m512d result = _mm512_set1_pd(1.0), base = x;
    int64_t e = n;
    while (e > 0) {
        if (e & 1) result = _mm512_mul_pd(result, base);
        e >>= 1;
        if (e > 0) base = _mm512_mul_pd(base, base);
    }
    return result;
}

WIDE void swiftgap_kernel_block_energies(
    double *g, int64_t rows, int64_t m, const double *alpha, double d2, double zeta, int64_t power, double *energies,
    double *terms) {
    const __m512d d2v = _mm512_set1_pd(d2), zv = _mm512_set1_pd(zeta);
    for (int64_t first = 0; first < rows; first += 8) {
        const int64_t group = rows - first < 8 ? rows - first : 8;
        // Elementwise, eight points at a time: the energy terms to `terms`, W over G.
        for (int64_t r = 0; r < group; r++) {
            double *gr = g + (first + r) * m, *tr = terms + r * m;
            for (int64_t c = 0; c < m; c += 8) {
                const __mmask8 mask = m - c >= 8 ? 0xFF : (__mmask8)((1u << (m - c)) - 1);
                const __m512d s = _mm512_maskz_loadu_pd(mask, gr + c);
                const __m512d p = integer_power(s, power);
                const __m512d ad = _mm512_mul_pd(_mm512_maskz_loadu_pd(mask, alpha + c), d2v);
                _mm512_mask_storeu_pd(tr + c, mask, _mm512_mul_pd(_mm512_mul_pd(ad, p), s));
                _mm512_mask_storeu_pd(gr + c, mask, _mm512_mul_pd(_mm512_mul_pd(ad, zv), p));
            }
        }
        // Each row's energy, summed over the points in order from zero; eight rows' chains overlap.
        if (group == 8) {
            double e0 = 0, e1 = 0, e2 = 0, e3 = 0, e4 = 0, e5 = 0, e6 = 0, e7 = 0;
            for (int64_t c = 0; c < m; c++) {
                e0 += terms[c];
                e1 += terms[m + c];
                e2 += terms[2 * m + c];
                e3 += terms[3 * m + c];
                e4 += terms[4 * m + c];
                e5 += terms[5 * m + c];
                e6 += terms[6 * m + c];
                e7 += terms[7 * m + c];
            }
            energies[first] = e0;
            energies[first + 1] = e1;
            energies[first + 2] = e2;
            energies[first + 3] = e3;
            energies[first + 4] = e4;
            energies[first + 5] = e5;
            energies[first + 6] = e6;
            energies[first + 7] = e7;
        } else {
            for (int64_t r = 0; r < group; r++) {
                double e = 0;
                for (int64_t c = 0; c < m; c++) e += terms[r * m + c];
                energies[first + r] = e;
            }
        }
    }
}

#else

// Elsewhere the wide kernels are never called (swiftgap_soap_wide_available() is 0): empty bodies.
int swiftgap_soap_wide_available(void) { return 0; }

void swiftgap_soap_accumulate_row(
    double *coefficients, const double *weighted_radial, const double *harmonics, const int64_t *slots,
    int64_t slot_count, int64_t n_max, int64_t l_count) {}

void swiftgap_soap_harmonics(
    const double *vectors, const double *distances, const int64_t *pairs, int64_t count, int64_t l_max,
    const double *diagonal, const double *off_diagonal, const double *recurrence_a, const double *recurrence_b,
    double *values) {}

void swiftgap_soap_angular_parts(
    const double *vectors, const double *distances, const int64_t *pairs, int64_t count, int64_t l_max,
    const double *diagonal, const double *off_diagonal, const double *recurrence_a, const double *recurrence_b,
    double *records) {}

void swiftgap_soap_pair_gradients(
    const double *records, const double *adjoint, const double *weighted_radial, const double *weighted_slope, int64_t count,
    int64_t n_max, int64_t l_max, const double *dz, const double *vectors, const double *distances, const int64_t *pairs,
    const int64_t *slots, double *scratch, double *gradients) {}

void swiftgap_soap_power_spectrum_adjoint(
    const double *coefficients, const double *spectrum_adjoint, const double *inverse_root_degeneracy,
    int64_t channel_count, int64_t l_count, double *adjoint) {}

void swiftgap_soap_power_spectrum(
    const double *coefficients, int64_t channel_count, int64_t l_count, const double *inverse_root_degeneracy,
    double *values) {}

void swiftgap_soap_weighted_spline(
    const double *rows, int64_t count, double t, double inverse_step, double w, double dw, double *weighted,
    double *weighted_slope) {}

void swiftgap_kernel_block_energies(
    double *g, int64_t rows, int64_t m, const double *alpha, double d2, double zeta, int64_t power, double *energies,
    double *terms) {}


#endif
