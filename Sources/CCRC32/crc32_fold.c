// CRC-32 by folding (the reflected ZIP polynomial 0x04C11DB7), with PCLMULQDQ on x86-64.
//
// A 128-bit block X, followed by D more bits of message, contributes X · x^D to the remainder.
// With X = L · x^64 + H (L first), X · x^D ≡ L · (x^(D+64) mod P) + H · (x^D mod P): two
// carry-less products of 64 x 33 bits, XORed into the block D bits later. In the reflected
// representation the constants are x^(D+32) and x^(D-32) mod P, bit-reversed over 33 bits
// (Benchmarks/crc32_fold_constants.py derives them and checks the folding against zlib).
// Four blocks are folded in parallel 512 bits ahead, then into one, then 128 bits at a time;
// Support's table code finishes the last 16 bytes and the tail.
#include "ccrc32.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define FOLD_TARGET __attribute__((target("pclmul,sse2")))

// (x^(512+32), x^(512-32)) and (x^(128+32), x^(128-32)) mod P, reflected over 33 bits.
static const uint64_t k512_low = 0x154442bd4, k512_high = 0x1c6e41596;
static const uint64_t k128_low = 0x1751997d0, k128_high = 0x0ccaa009e;

FOLD_TARGET static inline __m128i fold(__m128i x, __m128i k, __m128i next) {
    __m128i low = _mm_clmulepi64_si128(x, k, 0x00);   // low half of x times the first constant
    __m128i high = _mm_clmulepi64_si128(x, k, 0x11);  // high half of x times the second
    return _mm_xor_si128(_mm_xor_si128(low, high), next);
}

int swiftgap_crc32_fold_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") ? 1 : 0;
}

FOLD_TARGET size_t swiftgap_crc32_fold(uint32_t crc_register, const uint8_t *bytes, size_t count, uint8_t folded[16]) {
    if (count < 64) return 0;
    const __m128i k512 = _mm_set_epi64x((long long)k512_high, (long long)k512_low);
    const __m128i k128 = _mm_set_epi64x((long long)k128_high, (long long)k128_low);
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)bytes), _mm_cvtsi32_si128((int)crc_register));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(bytes + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(bytes + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(bytes + 48));
    size_t position = 64;
    while (position + 64 <= count) {
        const uint8_t *p = bytes + position;
        x0 = fold(x0, k512, _mm_loadu_si128((const __m128i *)p));
        x1 = fold(x1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = fold(x2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = fold(x3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
        position += 64;
    }
    __m128i x = fold(x0, k128, x1);
    x = fold(x, k128, x2);
    x = fold(x, k128, x3);
    while (position + 16 <= count) {
        x = fold(x, k128, _mm_loadu_si128((const __m128i *)(bytes + position)));
        position += 16;
    }
    _mm_storeu_si128((__m128i *)folded, x);
    return position;
}

#else

int swiftgap_crc32_fold_available(void) { return 0; }

size_t swiftgap_crc32_fold(uint32_t crc_register, const uint8_t *bytes, size_t count, uint8_t folded[16]) {
    (void)crc_register; (void)bytes; (void)count; (void)folded;
    return 0;
}

#endif
