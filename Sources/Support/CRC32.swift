import CCRC32

/// The CRC-32 of ZIP, gzip and PNG (polynomial 0x04C11DB7, reflected, initial value and final
/// XOR 0xFFFFFFFF), computed incrementally.
///
/// ```swift
/// var crc = CRC32()
/// crc.update(header)
/// crc.update(data)
/// let checksum = crc.value
/// ```
///
/// Gradient arrays of many gigabytes are checksummed while they are written, so speed matters:
/// where the CPU multiplies carry-less (x86-64 PCLMULQDQ), buffers of 64 bytes or more are folded
/// into 16 bytes by the C target CCRC32 (about 10x the tables' speed); otherwise eight bytes are
/// processed per step with the "slicing-by-8" tables, long buffers as four interleaved lanes
/// (about 4.5 GB/s against 2 for one lane).
public struct CRC32: Hashable, Sendable {
    /// The running register (before the final XOR).
    private var register: UInt32 = 0xFFFF_FFFF

    /// A checksum of no bytes.
    public init() {}

    /// The checksum of every byte added so far.
    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    /// Extends the checksum by `length` bytes whose own checksum is `checksum` (computed
    /// elsewhere, e.g. on another thread), as if they had been added with `update`.
    public mutating func append(checksum: UInt32, length: Int) {
        register = CRC32.combine(value, checksum, secondLength: length) ^ 0xFFFF_FFFF
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        update(bytes, folding: CRC32.foldAvailable)
    }

    /// Adds `bytes`, folding them with carry-less multiplication if `folding` (tests compare
    /// both ways; the fold must be available).
    mutating func update(_ bytes: UnsafeRawBufferPointer, folding: Bool) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var crc = register
        var p = base
        var remaining = bytes.count
        CRC32.tables.withUnsafeBufferPointer { t in
            if folding && remaining >= 64 {
                // The fold leaves 16 bytes with the same remainder; they start from register 0.
                var folded: (UInt64, UInt64) = (0, 0)
                let consumed = withUnsafeMutableBytes(of: &folded) { out in
                    swiftgap_crc32_fold(crc, p.assumingMemoryBound(to: UInt8.self), remaining, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
                if consumed > 0 {
                    crc = withUnsafeBytes(of: &folded) { f in CRC32.step(CRC32.step(0, f.baseAddress!, t), f.baseAddress! + 8, t) }
                    p += consumed
                    remaining -= consumed
                }
            }
            if remaining >= CRC32.laneThreshold {
                // One lane is latency-bound (each step's table loads wait for the previous
                // step); four independent CRCs over four equal parts, interleaved, keep the
                // load ports busy. They are joined as in `combine`, with one shared shift.
                let laneLength = remaining / 4 & ~7
                var c0 = crc, c1: UInt32 = 0xFFFF_FFFF, c2: UInt32 = 0xFFFF_FFFF, c3: UInt32 = 0xFFFF_FFFF
                let end = p + laneLength
                while p < end {
                    c0 = CRC32.step(c0, p, t)
                    c1 = CRC32.step(c1, p + laneLength, t)
                    c2 = CRC32.step(c2, p + 2 * laneLength, t)
                    c3 = CRC32.step(c3, p + 3 * laneLength, t)
                    p += 8
                }
                let shift = CRC32.shift(byteCount: laneLength)
                var value = c0 ^ 0xFFFF_FFFF
                value = CRC32.multiplyModuloPolynomial(shift, value) ^ c1 ^ 0xFFFF_FFFF
                value = CRC32.multiplyModuloPolynomial(shift, value) ^ c2 ^ 0xFFFF_FFFF
                value = CRC32.multiplyModuloPolynomial(shift, value) ^ c3 ^ 0xFFFF_FFFF
                crc = value ^ 0xFFFF_FFFF
                p += 3 * laneLength
                remaining -= 4 * laneLength
            }
            while remaining >= 8 {
                crc = CRC32.step(crc, p, t)
                p += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                p += 1
                remaining -= 1
            }
        }
        register = crc
    }

    /// The checksum of the concatenation A + B from the checksums of A and of B and the length
    /// of B in bytes, without the bytes themselves.
    ///
    /// Used when a file's first bytes (a header whose final content is known only at the end)
    /// are rewritten after the rest was streamed and checksummed.
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        precondition(secondLength >= 0, "a length cannot be negative")
        // CRC(A + B) = CRC(A) · x^(8·|B|) mod P  XOR  CRC(B), in the reflected representation
        // where bit 31 is the coefficient of x^0 (the initial and final XORs cancel out).
        return multiplyModuloPolynomial(shift(byteCount: secondLength), first) ^ second
    }

    /// x^(8·byteCount) modulo the CRC polynomial (reflected): multiplying a checksum by it
    /// appends that many bytes' worth of shift.
    static func shift(byteCount: Int) -> UInt32 {
        var result: UInt32 = 1 << 31  // x^0
        var power: UInt32 = 1 << 30  // x^(2^0) = x^1
        var exponent = UInt64(byteCount) * 8
        while exponent > 0 {
            if exponent & 1 != 0 { result = multiplyModuloPolynomial(power, result) }
            power = multiplyModuloPolynomial(power, power)
            exponent >>= 1
        }
        return result
    }

    /// Whether this CPU runs the carry-less-multiplication fold (checked once).
    static let foldAvailable = swiftgap_crc32_fold_available() != 0

    /// Buffers at least this long are checksummed as four lanes (below it, joining the lanes
    /// costs more than it saves).
    static let laneThreshold = 16 << 10

    /// Eight bytes at `p` through the register `crc` (slicing-by-8).
    @inline(__always)
    static func step(_ crc: UInt32, _ p: UnsafeRawPointer, _ t: UnsafeBufferPointer<UInt32>) -> UInt32 {
        let low = crc ^ UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
        let high = UInt32(littleEndian: (p + 4).loadUnaligned(as: UInt32.self))
        return t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
            ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
            ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
            ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
    }

    /// a · b modulo the CRC polynomial, both in the reflected representation.
    static func multiplyModuloPolynomial(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var bit: UInt32 = 1 << 31
        var shifted = b  // b · x^k for the current bit k of a
        while bit != 0 {
            if a & bit != 0 { product ^= shifted }
            bit >>= 1
            shifted = shifted & 1 != 0 ? (shifted >> 1) ^ polynomial : shifted >> 1
        }
        return product
    }

    /// The reflected polynomial.
    static let polynomial: UInt32 = 0xEDB8_8320

    /// Eight 256-entry tables: table k advances a byte through k further zero bytes.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()
}
