// DataAudit: dataset summaries and checks, the library behind `gap-data`.
//
// Both work on a stream of structures, one frame at a time: `DatasetSummary` counts, and
// `DatasetAuditor` checks each frame as it arrives and keeps only what the cross-frame checks
// need (a 128-bit digest per frame for duplicates, one energy per atom per frame for outliers).
import AtomicStructures
