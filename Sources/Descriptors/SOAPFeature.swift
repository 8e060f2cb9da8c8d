/// What one element of the SOAP vector measures: the power-spectrum term
/// (√2 if the channels differ) · 1/√(2l+1) · Σ_m c_{first, l m} c_{second, l m}, where a channel is
/// a neighbour species and a radial index.
public struct SOAPFeature: Hashable, Sendable, CustomStringConvertible {
    /// Atomic number of the first channel's species.
    public var firstSpecies: Int
    /// Radial index n (0-based) of the first channel.
    public var firstRadial: Int
    /// Atomic number of the second channel's species.
    public var secondSpecies: Int
    /// Radial index n′ (0-based) of the second channel.
    public var secondRadial: Int
    /// Angular momentum l.
    public var angularMomentum: Int

    /// Creates a feature label.
    public init(firstSpecies: Int, firstRadial: Int, secondSpecies: Int, secondRadial: Int, angularMomentum: Int) {
        self.firstSpecies = firstSpecies
        self.firstRadial = firstRadial
        self.secondSpecies = secondSpecies
        self.secondRadial = secondRadial
        self.angularMomentum = angularMomentum
    }

    public var description: String {
        "(Z\(firstSpecies) n\(firstRadial), Z\(secondSpecies) n\(secondRadial), l\(angularMomentum))"
    }
}

extension SOAPCalculator {
    /// The meaning of feature `index` (0 ..< featureCount). Features are ordered as QUIP orders
    /// them: channel A = (species position in ascending `neighbourSpecies`) · n_max + n, then
    /// B ≤ A, then l fastest; the first channel is A and the second B. So feature `index` is
    /// QUIP's `data[index]` when QUIP is given `species_Z` in ascending order. With feature
    /// selection, feature `index` is the full layout's `selectedFeatures[index]`; with an optimal
    /// radial basis, n is the index of the contracted radial function, and when that basis
    /// combines species the channels belong to no one species: both species are 0.
    public func feature(at index: Int) -> SOAPFeature {
        precondition(index >= 0 && index < featureCount, "feature index out of range")
        let full = selectedFeatures?[index] ?? index
        let lCount = hyperparameters.lMax + 1
        let (a, b) = SelectedFeatureTables.channels(ofPair: full / lCount)
        let nMax = hyperparameters.nMax
        let species = hyperparameters.neighbourSpecies
        return SOAPFeature(
            firstSpecies: combinesSpecies ? 0 : species[a / nMax], firstRadial: a % nMax,
            secondSpecies: combinesSpecies ? 0 : species[b / nMax], secondRadial: b % nMax, angularMomentum: full % lCount)
    }

    /// The index of the feature with these channels and l (the channels may be given in either
    /// order), or nil if a species is not a neighbour species, an index is out of range, or the
    /// feature was not kept by feature selection.
    public func featureIndex(of feature: SOAPFeature) -> Int? {
        let h = hyperparameters
        let speciesLabels = combinesSpecies ? [0] : h.neighbourSpecies
        guard let s1 = speciesLabels.firstIndex(of: feature.firstSpecies),
              let s2 = speciesLabels.firstIndex(of: feature.secondSpecies),
              (0..<h.nMax).contains(feature.firstRadial), (0..<h.nMax).contains(feature.secondRadial),
              (0...h.lMax).contains(feature.angularMomentum) else { return nil }
        let first = s1 * h.nMax + feature.firstRadial, second = s2 * h.nMax + feature.secondRadial
        let (a, b) = (max(first, second), min(first, second))
        let full = (a * (a + 1) / 2 + b) * (h.lMax + 1) + feature.angularMomentum
        guard let selected = selectedFeatures else { return full }
        // Binary search in the sorted kept indices.
        var low = 0, high = selected.count
        while low < high {
            let middle = (low + high) / 2
            if selected[middle] < full { low = middle + 1 } else { high = middle }
        }
        return low < selected.count && selected[low] == full ? low : nil
    }
}
