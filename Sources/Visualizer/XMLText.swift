// Text inside SVG (XML): the one escaping rule the chart writer and the frame screenshots share.

/// XML text helpers.
public enum XMLText {
    /// `text` safe inside an XML element or attribute: markup characters as entities, and the characters
    /// XML 1.0 does not allow (control characters other than tab and newline, U+FFFE, U+FFFF) as `?`.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" { out += "?" }
                else if (0xFFFE...0xFFFF).contains(scalar.value) { out += "?" }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
