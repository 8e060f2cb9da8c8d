import AtomicStructures
import Support

/// An element of a parsed XML file. Text is kept as byte ranges into the file's bytes (no copy),
/// so that megabytes of inline sparse points are parsed straight into numbers.
struct XMLElement {
    var name: String
    var attributes: [String: String]
    var children: [XMLElement] = []
    /// Character data and CDATA sections directly inside this element, in order.
    var textRanges: [Range<Int>] = []
    /// 1-based line of the start tag.
    var line: Int

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

/// A small non-validating XML reader for the subset that gap_fit and QUIP write: elements,
/// attributes (single or double quoted, with the five predefined entities and character
/// references), character data, CDATA sections, comments, processing instructions and a DOCTYPE
/// without an internal subset.
///
/// Why not Foundation's XMLParser: on Linux it lives in FoundationXML, which links the system's
/// libxml2 and ICU at run time (measured: a `--static-swift-stdlib` build still needs
/// libxml2.so.2 and libicuuc.so.72), and the model reader is part of the C library that LAMMPS
/// and ASE load; this format needs none of libxml2's generality. Elements named in `skipping`
/// (the training-data copy `XYZ_data`, often larger than the model) are stepped over without
/// building anything.
struct XMLTreeReader {
    let bytes: [UInt8]
    let fileName: String
    let skipping: Set<String>
    private var position = 0
    private var line = 1

    init(bytes: [UInt8], fileName: String, skipping: Set<String> = []) {
        self.bytes = bytes
        self.fileName = fileName
        self.skipping = skipping
    }

    /// Parses the document and returns its root element.
    mutating func parse() throws -> XMLElement {
        try skipProlog()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "<") else {
            throw error("expected the root element of an XML document")
        }
        let root = try parseElement()
        try skipMisc()
        guard position >= bytes.count else { throw error("content after the root element") }
        return root
    }

    func error(_ message: String) -> InputError {
        InputError(file: fileName, line: line, message: "malformed XML: \(message)")
    }

    /// The text of `ranges` with entities decoded.
    func text(_ ranges: [Range<Int>]) throws -> String {
        var out = ""
        for r in ranges { out += try decodeEntities(r) }
        return out
    }

    // MARK: - Scanning

    private mutating func advance(_ n: Int = 1) {
        let end = min(bytes.count, position + n)
        while position < end {
            if bytes[position] == 0x0A { line += 1 }
            position += 1
        }
    }

    private func starts(with literal: String) -> Bool {
        var i = position
        for b in literal.utf8 {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
        }
        return true
    }

    /// Advances past the next occurrence of `terminator`.
    private mutating func skip(past terminator: String, what: String) throws {
        let t = Array(terminator.utf8)
        while position + t.count <= bytes.count {
            if bytes[position] == t[0] && Array(bytes[position..<(position + t.count)]) == t {
                advance(t.count)
                return
            }
            advance()
        }
        throw error("unterminated \(what)")
    }

    private mutating func skipSpace() {
        while position < bytes.count, isSpace(bytes[position]) { advance() }
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private mutating func skipMisc() throws {
        while true {
            skipSpace()
            if starts(with: "<!--") {
                try skip(past: "-->", what: "comment")
            } else if starts(with: "<?") {
                try skip(past: "?>", what: "processing instruction")
            } else {
                return
            }
        }
    }

    private mutating func skipProlog() throws {
        if starts(with: "\u{FEFF}") { advance(3) }
        try skipMisc()
        if starts(with: "<!DOCTYPE") {
            try skip(past: ">", what: "DOCTYPE")
            try skipMisc()
        }
    }

    private mutating func name() throws -> String {
        let start = position
        while position < bytes.count {
            let b = bytes[position]
            if isSpace(b) || b == UInt8(ascii: "/") || b == UInt8(ascii: ">") || b == UInt8(ascii: "=") { break }
            advance()
        }
        guard position > start else { throw error("expected a name") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    // MARK: - Elements

    private mutating func parseElement() throws -> XMLElement {
        let startLine = line
        advance()  // "<"
        let elementName = try name()
        var attributes: [String: String] = [:]
        while true {
            skipSpace()
            guard position < bytes.count else { throw error("unterminated start tag <\(elementName)") }
            if bytes[position] == UInt8(ascii: "/") {
                guard starts(with: "/>") else { throw error("expected /> in <\(elementName)") }
                advance(2)
                return XMLElement(name: elementName, attributes: attributes, line: startLine)
            }
            if bytes[position] == UInt8(ascii: ">") {
                advance()
                break
            }
            let key = try name()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
                throw error("attribute \(key) of <\(elementName)> has no value")
            }
            advance()
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw error("attribute \(key) of <\(elementName)> is not quoted")
            }
            let quote = bytes[position]
            advance()
            let valueStart = position
            while position < bytes.count, bytes[position] != quote { advance() }
            guard position < bytes.count else { throw error("unterminated value of attribute \(key)") }
            attributes[key] = try decodeEntities(valueStart..<position)
            advance()
        }
        var element = XMLElement(name: elementName, attributes: attributes, line: startLine)
        if skipping.contains(elementName) {
            try skipContent(of: elementName)
            return element
        }
        try parseContent(into: &element)
        return element
    }

    private mutating func parseContent(into element: inout XMLElement) throws {
        while true {
            let textStart = position
            while position < bytes.count, bytes[position] != UInt8(ascii: "<") { advance() }
            if position > textStart { element.textRanges.append(textStart..<position) }
            guard position < bytes.count else { throw error("<\(element.name)> (line \(element.line)) is not closed") }
            if starts(with: "</") {
                advance(2)
                let closing = try name()
                guard closing == element.name else {
                    throw error("</\(closing)> closes <\(element.name)> opened on line \(element.line)")
                }
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw error("expected > after </\(closing)") }
                advance()
                return
            } else if starts(with: "<![CDATA[") {
                advance(9)
                let start = position
                try skip(past: "]]>", what: "CDATA section")
                element.textRanges.append(start..<(position - 3))
            } else if starts(with: "<!--") {
                try skip(past: "-->", what: "comment")
            } else if starts(with: "<?") {
                try skip(past: "?>", what: "processing instruction")
            } else {
                element.children.append(try parseElement())
            }
        }
    }

    /// Steps over the content of an element and its end tag, tracking nesting of the same name.
    private mutating func skipContent(of elementName: String) throws {
        var depth = 1
        let open = "<" + elementName, close = "</" + elementName
        while position < bytes.count {
            if bytes[position] != UInt8(ascii: "<") {
                advance()
                continue
            }
            if starts(with: "<![CDATA[") {
                try skip(past: "]]>", what: "CDATA section")
            } else if starts(with: "<!--") {
                try skip(past: "-->", what: "comment")
            } else if starts(with: close) {
                try skip(past: ">", what: "end tag")
                depth -= 1
                if depth == 0 { return }
            } else if starts(with: open) {
                var selfClosing = false
                while position < bytes.count, bytes[position] != UInt8(ascii: ">") {
                    selfClosing = bytes[position] == UInt8(ascii: "/")
                    advance()
                }
                advance()
                if !selfClosing { depth += 1 }
            } else {
                advance()
            }
        }
        throw error("<\(elementName)> is not closed")
    }

    // MARK: - Entities

    private func decodeEntities(_ range: Range<Int>) throws -> String {
        guard bytes[range].contains(UInt8(ascii: "&")) else { return String(decoding: bytes[range], as: UTF8.self) }
        var out: [UInt8] = []
        var i = range.lowerBound
        while i < range.upperBound {
            guard bytes[i] == UInt8(ascii: "&") else {
                out.append(bytes[i])
                i += 1
                continue
            }
            guard let semicolon = bytes[i..<range.upperBound].firstIndex(of: UInt8(ascii: ";")) else {
                throw error("unterminated entity reference")
            }
            let entity = String(decoding: bytes[(i + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let hex = entity.hasPrefix("#x") || entity.hasPrefix("#X")
                let digits = entity.dropFirst(hex ? 2 : 1)
                guard entity.hasPrefix("#"), let code = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(code) else {
                    throw error("unknown entity &\(entity);")
                }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            i = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
