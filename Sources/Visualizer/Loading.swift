// The frame shown while an input's pools are built (a large trace replays for a while): how far the replay
// is, as a count and a bar, and that q quits. A pure function of its inputs, like `render`.

/// How far building the pools has come.
public struct LoadingProgress: Hashable, Sendable {
    /// The input's name (as in the main header).
    public var title: String
    /// What a step is, plural: "operations" for a trace (its `a` and `f` lines), "allocations" for a dump.
    public var unit: String
    /// Steps done.
    public var done: Int
    /// Steps in all (0 when not known yet).
    public var total: Int

    public init(title: String, unit: String, done: Int = 0, total: Int = 0) {
        self.title = title
        self.unit = unit
        self.done = done
        self.total = total
    }

    /// Done as a fraction of the total, in 0...1 (1 when the total is 0).
    public var fraction: Double {
        guard total > 0 else { return 1 }
        return Double(max(0, min(done, total))) / Double(total)
    }
}

/// Draws the loading frame: the header with the input's name, then, centred, "replayed 123,456 of
/// 2,000,000 operations (6%)" over a bar of the same progress, and a key bar saying q quits.
/// - Parameters:
///   - progress: what is being loaded and how far it is.
///   - width: columns (0 or less: an empty canvas).
///   - height: rows (0 or less: an empty canvas).
///   - ascii: ASCII only (`#` and `.` for the bar).
/// - Returns: a canvas of exactly `width` × `height` cells (clamped at 0).
public func renderLoading(_ progress: LoadingProgress, width: Int, height: Int, ascii: Bool = false) -> Canvas {
    var canvas = Canvas(width: width, height: height)
    guard canvas.width > 0, canvas.height > 0 else { return canvas }
    let glyphs = ascii ? Glyphs.ascii : Glyphs.unicode
    let width = canvas.width, height = canvas.height

    canvas.fill(x: 0, y: 0, width: width, height: 1, with: Cell(" ", foreground: .text, background: .header))
    let header = ["defragscope", progress.title, "loading"].joined(separator: glyphs.separator)
    canvas.writeTruncated(header, x: width > 2 ? 1 : 0, y: 0, maxWidth: width > 2 ? width - 2 : width, background: .header,
                          attributes: .bold, ascii: ascii)
    if height >= 2 {
        canvas.fill(x: 0, y: height - 1, width: width, height: 1, with: Cell(" ", foreground: .text, background: .keybar))
        let x = canvas.write("q", x: 1, y: height - 1, foreground: .keybarKey, background: .keybar, ascii: ascii)
        canvas.write(" quit", x: x, y: height - 1, background: .keybar, ascii: ascii)
    }

    let percent = Int(progress.fraction * 100)
    let count = progress.total > 0
        ? "replayed \(grouped(progress.done)) of \(grouped(progress.total)) \(progress.unit) (\(percent)%)"
        : "reading \(progress.title)"
    // Rows 1 to height - 2 are between the header and the key bar: the text in their middle, the bar below.
    guard height >= 3 else { return canvas }
    let middle = max(1, (height - 2) / 2)
    let textWidth = Canvas.displayWidth(count, ascii: ascii)
    canvas.writeTruncated(count, x: max(0, (width - textWidth) / 2), y: middle, maxWidth: width, ascii: ascii)
    let barWidth = min(60, width - 4)
    if barWidth >= 4, middle + 1 <= height - 2 {
        let x = (width - barWidth) / 2
        let filled = Int((progress.fraction * Double(barWidth)).rounded(.down))
        for column in 0..<barWidth {
            let isFilled = column < filled
            canvas.put(x + column, middle + 1, isFilled ? glyphs.full : (ascii ? "." : "░"),
                       isFilled ? .sparkline : .dimText, .background)
        }
    }
    return canvas
}

/// 1234567 as "1,234,567".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(digit)
    }
    return value < 0 ? "-" + result : result
}
