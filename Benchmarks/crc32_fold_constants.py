#!/usr/bin/env python3
"""The folding constants of Sources/CCRC32/crc32_fold.c, derived, and the folding checked.

    python3 Benchmarks/crc32_fold_constants.py

CRC-32 (ZIP) in the reflected representation: a 16-byte block read little-endian is a 128-bit
integer whose bit 0 is the highest power of x. Folding a block D bits ahead multiplies its two
halves (carry-less) by x^(D+32) and x^(D-32) mod P, each bit-reversed over 33 bits (the reversal
of a 64 x 33-bit product lands one bit off, which the 33-bit width absorbs). This prints the
constants for D = 512 (four blocks in parallel) and D = 128, then runs the same folding as the C
code in Python (four lanes, joined, then 16-byte steps; the last 16 bytes and the tail by a plain
CRC from register 0) against zlib.crc32 on random data of many lengths and starting values.
"""

import os
import random
import zlib

P = 0x104C11DB7  # the CRC-32 polynomial, with its x^32 term


def mod_p(a):
    while a.bit_length() > 32:
        a ^= P << (a.bit_length() - 33)
    return a


def reversed_bits(value, width):
    return int(format(value, f"0{width}b")[::-1], 2)


def constant(exponent):
    return reversed_bits(mod_p(1 << exponent), 33)


def carryless(a, b):
    product = 0
    while b:
        if b & 1:
            product ^= a
        a <<= 1
        b >>= 1
    return product


K512 = (constant(512 + 32), constant(512 - 32))
K128 = (constant(128 + 32), constant(128 - 32))


def fold(x, k, following):
    return carryless(x & (2**64 - 1), k[0]) ^ carryless(x >> 64, k[1]) ^ following


def folded_crc(data, value):
    """zlib.crc32(data, value) the way the C fold and Support's CRC32 compute it (len >= 64)."""
    block = lambda i: int.from_bytes(data[i:i + 16], "little")
    lanes = [block(0) ^ (value ^ 0xFFFFFFFF), block(16), block(32), block(48)]
    position = 64
    while position + 64 <= len(data):
        lanes = [fold(lanes[j], K512, block(position + 16 * j)) for j in range(4)]
        position += 64
    x = fold(fold(fold(lanes[0], K128, lanes[1]), K128, lanes[2]), K128, lanes[3])
    while position + 16 <= len(data):
        x = fold(x, K128, block(position))
        position += 16
    register_zero = 0xFFFFFFFF  # zlib's "previous value" for a register of 0
    return zlib.crc32(data[position:], zlib.crc32(x.to_bytes(16, "little"), register_zero))


def main():
    print("k512 = (%#x, %#x)" % K512)
    print("k128 = (%#x, %#x)" % K128)
    rng = random.Random(1)
    for length in list(range(64, 300)) + [1000, 4096, 4097, 65_536 + 13]:
        data = os.urandom(length)
        value = rng.getrandbits(32)
        assert folded_crc(data, value) == zlib.crc32(data, value), length
    print("folding agrees with zlib.crc32 on lengths 64-299 and a few long ones")


if __name__ == "__main__":
    main()
