import AtomicStructures
import Support

extension DatasetSummary {
    /// Summarizes extended XYZ files, streaming one frame at a time.
    ///
    /// - Throws: the reader's ``InputError`` for a malformed file, or a malformed label's.
    public static func of(paths: [String], labelKeys: LabelKeys = LabelKeys()) throws -> DatasetSummary {
        var summary = DatasetSummary(labelKeys: labelKeys)
        for path in paths {
            summary.beginFile(path)
            var reader = try ExtendedXYZReader(path: path)
            while let structure = try reader.next() { try summary.add(structure) }
        }
        return summary
    }
}

extension DatasetAuditor {
    /// Checks extended XYZ files, streaming one frame at a time.
    ///
    /// - Throws: ``InputError`` for unusable options or a file the reader cannot parse (a
    ///   malformed frame stops the reading of its file; problems in well-formed frames are
    ///   findings, not errors).
    public static func audit(paths: [String], options: AuditOptions = AuditOptions()) throws -> AuditReport {
        var auditor = try DatasetAuditor(options: options)
        for path in paths {
            auditor.beginFile(path)
            var reader = try ExtendedXYZReader(path: path)
            while let structure = try reader.next() { auditor.inspect(structure) }
        }
        return auditor.finish()
    }
}
