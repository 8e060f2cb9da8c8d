// CRC-32 (ZIP polynomial) folding with carry-less multiplication, for Support's CRC32.
#ifndef SWIFTGAP_CCRC32_H
#define SWIFTGAP_CCRC32_H

#include <stddef.h>
#include <stdint.h>

/// 1 if this CPU has carry-less multiplication (x86-64 PCLMULQDQ) and the fold below runs, else 0.
int swiftgap_crc32_fold_available(void);

/// Folds `count` bytes (count >= 64) at `bytes` into 16 bytes with the same CRC-32 remainder.
/// `crc_register` is the running register (before the final XOR), mixed into the first bytes.
/// Writes the 16 bytes to `folded` and returns the bytes consumed (a multiple of 16, at most
/// `count`); the CRC-32 of the whole input is then that of `folded` from register 0, continued
/// over the bytes not consumed. Returns 0 (and folds nothing) when unavailable.
size_t swiftgap_crc32_fold(uint32_t crc_register, const uint8_t *bytes, size_t count, uint8_t folded[16]);

#endif
