import KeywardCore

/// A line for a person: the literal text as written in the source, every interpolated value
/// passed through `TerminalText.safe` (control and bidi characters shown as escapes). Print with
/// `Output.line` or `Output.warn`, so data never reaches the terminal raw.
struct TerminalLine: ExpressibleByStringInterpolation {
    var text: String

    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: some CustomStringConvertible) { text += TerminalText.safe(value.description) }
        /// A line already made safe, included as it is.
        mutating func appendInterpolation(raw line: TerminalLine) { text += line.text }
    }
}
