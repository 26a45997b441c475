// The characters the renderer draws, in Unicode and in ASCII.

struct Glyphs {
    /// Index k: a cell k eighths inked (index 0 unused): in Unicode a block covering the left k eighths, in
    /// ASCII a ramp of characters growing denser with k, so an ASCII bar is as byte-true as a block bar.
    var eighths: [Unicode.Scalar]
    var full: Unicode.Scalar
    /// A full cell of an allocation that arrived in the last pass.
    var arrived: Unicode.Scalar
    /// A cell an allocation left in the last pass (free now).
    var left: Unicode.Scalar
    var free: Unicode.Scalar
    var released: Unicode.Scalar
    var releasedFlag: Unicode.Scalar
    var immovableFlag: Unicode.Scalar
    var dedicatedFlag: Unicode.Scalar
    var vertical: Unicode.Scalar
    var horizontal: Unicode.Scalar
    var corners: (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar)
    var sparks: [Unicode.Scalar]
    var separator: String
    var ellipsis: Unicode.Scalar
    var arrow: String
    var backArrow: String
    /// Between the parts of a pool's heading.
    var dot: String
    /// Full cells of a buffer, an optimal image, a linear image and an unknown type when colouring by type:
    /// the same block where colour tells them apart, different glyphs in monochrome and ASCII.
    var typeFills: [Unicode.Scalar]
    /// A legend's colour sample where the fill glyph alone does not tell roles apart.
    var swatch: Unicode.Scalar

    static let unicode = Glyphs(
        eighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"], full: "█", arrived: "█", left: "░", free: " ",
        released: "─", releasedFlag: "×", immovableFlag: "!", dedicatedFlag: "D",
        vertical: "│", horizontal: "─", corners: ("┌", "┐", "└", "┘"),
        sparks: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], separator: " │ ", ellipsis: "…", arrow: "→", backArrow: "←",
        dot: " · ", typeFills: ["█", "█", "█", "█"], swatch: "■")

    static let ascii = Glyphs(
        eighths: [" ", ",", ";", "~", "=", "+", "*", "%", "#"], full: "#", arrived: "@", left: ":", free: ".",
        released: "-", releasedFlag: "x", immovableFlag: "!", dedicatedFlag: "D",
        vertical: "|", horizontal: "-", corners: ("+", "+", "+", "+"),
        sparks: ["_", ".", ",", "-", "~", "=", "*", "#"], separator: " | ", ellipsis: "~", arrow: "->", backArrow: "<-",
        dot: " - ", typeFills: ["B", "O", "L", "#"], swatch: "#")

    /// Monochrome Unicode: moves are told apart by shape, free space is dotted so a bar's end shows.
    static let monochrome: Glyphs = {
        var glyphs = Glyphs.unicode
        glyphs.arrived = "▓"
        glyphs.free = "·"
        glyphs.typeFills = ["█", "▒", "▚", "▄"]
        glyphs.swatch = "█"
        return glyphs
    }()

    /// The glyph of a full cell of allocation role `role`.
    @inline(__always)
    func fill(_ role: Role) -> Unicode.Scalar {
        switch role {
        case .buffer: return typeFills[0]
        case .imageOptimal: return typeFills[1]
        case .imageLinear: return typeFills[2]
        case .unknownType: return typeFills[3]
        default: return full
        }
    }

    /// The legend's sample of `role`: its own fill glyph when that tells it apart, else the swatch.
    func legendSample(_ role: Role) -> Unicode.Scalar {
        let glyph = fill(role)
        return glyph == full ? swatch : glyph
    }

    static func forState(_ state: ViewState) -> Glyphs {
        state.ascii ? .ascii : (state.monochrome ? .monochrome : .unicode)
    }
}
