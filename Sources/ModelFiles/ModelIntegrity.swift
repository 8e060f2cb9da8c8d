import AtomicStructures
import Descriptors
import Kernels
import Prediction
import Support

/// The checksum of a model file (format version 3 on): its second line is
/// `  "checksum": "sha256:HEX",`, where HEX is the SHA-256 of the file with that line removed.
///
/// The checksum is over the bytes, not over parsed values, so any flipped bit anywhere (a base64
/// character of α, a digit of e0, the version) is caught before the JSON is even parsed. It is
/// the canonical position: `checksum` sorts first among the top-level keys. To check a file by
/// hand: `sed 2d MODEL | sha256sum`. A file edited by hand fails the check; that is its purpose.
enum ModelChecksum {
    static let prefix = "  \"checksum\": \"sha256:"
    static let suffix = "\",\n"

    /// `payload` (canonical JSON of the model, starting with "{\n") with the checksum line added.
    static func seal(_ payload: String) -> String {
        precondition(payload.hasPrefix("{\n"), "a model file's canonical JSON starts with \"{\\n\"")
        let line = prefix + SHA256.hex(of: Array(payload.utf8)) + suffix
        return "{\n" + line + payload.dropFirst(2)
    }

    /// What the checksum line of `bytes` says: absent (no `"checksum"` key on line 2), or
    /// verified; a line that names a checksum but is malformed or does not match is an error.
    ///
    /// - Throws: ``InputError`` naming the file, with the stored and the actual digest.
    static func verify(_ bytes: [UInt8], name: String) throws -> Bool {
        let opening = Array("{\n".utf8)
        let key = Array("  \"checksum\"".utf8)
        guard bytes.starts(with: opening), bytes[opening.count...].starts(with: key) else { return false }
        let head = Array(prefix.utf8), tail = Array(suffix.utf8)
        let digestStart = opening.count + head.count
        let lineEnd = digestStart + 64 + tail.count
        guard bytes[opening.count...].starts(with: head), bytes.count >= lineEnd,
              bytes[digestStart..<(digestStart + 64)].allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }),
              Array(bytes[(digestStart + 64)..<lineEnd]) == tail
        else {
            throw InputError(
                file: name, line: 2, field: "checksum",
                message: "the checksum line is damaged (expected \"checksum\": \"sha256:\" and 64 hex digits); the file is corrupt")
        }
        let stored = String(decoding: bytes[digestStart..<(digestStart + 64)], as: UTF8.self)
        var hasher = SHA256()
        hasher.update(opening)
        hasher.update(bytes[lineEnd...])
        let actual = hasher.finalize()
        guard stored == actual else {
            throw InputError(
                file: name, field: "checksum",
                message: "checksum mismatch: the file is corrupt or was edited (SHA-256 of its contents without line 2 is \(actual), line 2 records \(stored)); use an intact copy or retrain")
        }
        return true
    }
}

extension ModelFile {
    /// Checks that the model is consistent whatever its source (SwiftGAP JSON or gap_fit XML):
    /// at least one term, every species a term uses has a reference energy e0, counts agree
    /// (coefficients, sources and sparse points per term), and every number is finite. A model
    /// that fails predicts nonsense silently, so loading refuses it.
    ///
    /// - Throws: ``InputError`` naming `name` and the field that is wrong.
    func checkConsistency(name: String) throws {
        func fail(_ field: String?, _ message: String) -> InputError { InputError(file: name, field: field, message: message) }
        let p = potential
        guard !p.terms.isEmpty else { throw fail("terms", "the model has no terms; it would predict only the sum of e0") }
        guard !p.e0.isEmpty else { throw fail("e0", "the model has no reference energies (e0)") }
        for (z, e) in p.e0 where !e.isFinite {
            throw fail("e0.\(Element(atomicNumber: z)?.symbol ?? "\(z)")", "is not finite (\(e))")
        }
        guard p.alphas.count == p.terms.count else { throw fail("terms", "\(p.terms.count) terms but \(p.alphas.count) coefficient vectors") }
        func symbol(_ z: Int) -> String { Element(atomicNumber: z)?.symbol ?? "Z=\(z)" }
        let known = p.e0.keys.sorted().map(symbol).joined(separator: ", ")
        for (t, term) in p.terms.enumerated() {
            let path = "terms[\(t)]"
            guard p.alphas[t].count == term.sparseCount else {
                throw fail("\(path).alpha", "holds \(p.alphas[t].count) coefficients for \(term.sparseCount) sparse points")
            }
            if t < sparseSources.count, !sparseSources[t].isEmpty, sparseSources[t].count != term.sparseCount {
                throw fail("\(path).sparse_sources", "lists \(sparseSources[t].count) sources for \(term.sparseCount) sparse points")
            }
            if let bad = p.alphas[t].firstIndex(where: { !$0.isFinite }) {
                throw fail("\(path).alpha", "coefficient \(bad) is not finite (\(p.alphas[t][bad]))")
            }
            var species: [Int] = []
            if let soap = term as? SOAPTerm {
                // The centres' e0 (a neighbour species may be listed without being trained on).
                species = soap.calculator.hyperparameters.centreSpecies
                if let bad = soap.kernel.sparsePoints.firstIndex(where: { !$0.isFinite }) {
                    throw fail("\(path).sparse_points", "value \(bad) is not finite")
                }
                guard soap.kernel.delta.isFinite else { throw fail("\(path).delta", "is not finite") }
            } else if let pair = term as? PairDistanceTerm {
                species = [pair.kernel.species.z1, pair.kernel.species.z2].filter { $0 != 0 }
                if let bad = pair.kernel.sparseDistances.firstIndex(where: { !$0.isFinite }) {
                    throw fail("\(path).sparse_points", "distance \(bad) is not finite")
                }
            } else if let triplet = term as? AngleTripletTerm {
                let s = triplet.kernel.species
                species = [s.centre, s.z1, s.z2].filter { $0 != 0 }
                if let bad = triplet.kernel.sparsePoints.firstIndex(where: { !$0.isFinite }) {
                    throw fail("\(path).sparse_points", "value \(bad) is not finite")
                }
                if let bad = triplet.kernel.sparseWeights.firstIndex(where: { !$0.isFinite }) {
                    throw fail("\(path).sparse_cutoff_weights", "value \(bad) is not finite")
                }
            }
            for z in Set(species).sorted() where p.e0[z] == nil {
                throw fail("\(path)", "uses \(symbol(z)), which has no reference energy in e0 (e0 covers \(known))")
            }
        }
        let provenanceCounts = [("frames", provenance.frameCount), ("atoms", provenance.atomCount), ("observations", provenance.observationCount)]
        for (field, count) in provenanceCounts where count < 0 {
            throw fail("provenance.\(field)", "is negative (\(count))")
        }
    }
}
