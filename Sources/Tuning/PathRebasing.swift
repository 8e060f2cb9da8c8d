import Configuration
import JSON
import Foundation

/// Rewrites a config's relative paths when the config is written to another directory: paths
/// in a config are relative to the config file's directory (docs/config.md), so the tuned
/// config must point at the same files from where it is written.
enum PathText {
    /// The directory part of a file path ("" for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// An absolute path without `.`, `..` or repeated slashes.
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `target` (absolute) relative to the directory `from` (absolute).
    static func relative(_ target: String, from directory: String) -> String {
        let t = target.split(separator: "/"), d = directory.split(separator: "/")
        var common = 0
        while common < t.count, common < d.count, t[common] == d[common] { common += 1 }
        let ups = Array(repeating: "..", count: d.count - common)
        let rest = t[common...].map(String.init)
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// A config path (relative to `oldBase`) as seen from `newBase`; absolute paths are kept.
    static func rebase(_ path: String, from oldBase: String, to newBase: String) -> String {
        if path.hasPrefix("/") { return path }
        let target = absolute(oldBase.isEmpty ? path : oldBase + "/" + path)
        return relative(target, from: absolute(newBase.isEmpty ? "." : newBase))
    }

    /// `config` (a config's JSON) with `train_files`, `train_split.file`, `output` and every
    /// term's `sparse_file` rebased from `oldBase` to `newBase`.
    static func rebasedPaths(in config: JSONValue.Kind, from oldBase: String, to newBase: String) -> JSONValue.Kind {
        func re(_ v: JSONValue) -> JSONValue {
            if case .string(let s) = v.kind { return JSONValue(.string(rebase(s, from: oldBase, to: newBase))) }
            return v
        }
        guard case .object(var root) = config else { return config }
        for (m, member) in root.members.enumerated() {
            switch (member.key, member.value.kind) {
            case ("train_files", .array(let files)):
                root.members[m].value = JSONValue(.array(files.map(re)))
            case ("output", _):
                root.members[m].value = re(member.value)
            case ("train_split", .object(var split)):
                if let i = split.members.firstIndex(where: { $0.key == "file" }) { split.members[i].value = re(split.members[i].value) }
                root.members[m].value = JSONValue(.object(split))
            case ("descriptors", .array(let terms)):
                root.members[m].value = JSONValue(.array(terms.map { term in
                    guard case .object(var t) = term.kind, let i = t.members.firstIndex(where: { $0.key == "sparse_file" }) else { return term }
                    t.members[i].value = re(t.members[i].value)
                    return JSONValue(.object(t))
                }))
            default:
                continue
            }
        }
        return .object(root)
    }
}
