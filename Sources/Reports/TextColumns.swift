// Helpers for the plain-text tables of `run` and `bench`.
import Foundation

public enum TextColumns {
    /// `text` left-aligned in `width` characters; text as wide or wider gets one space after it.
    public static func pad(_ text: String, _ width: Int) -> String {
        let count = text.count
        return count >= width ? text + " " : text + String(repeating: " ", count: width - count)
    }

    /// 0.665 → "66.5%".
    public static func percent(_ value: Double) -> String { fixed(value * 100, digits: 1) + "%" }

    /// `value` with `digits` decimals ("%.2f").
    public static func fixed(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// Seconds as "12.3 ms" below one second, "1.234 s" from there.
    public static func seconds(_ s: Double) -> String { s < 1 ? String(format: "%.1f ms", s * 1000) : String(format: "%.3f s", s) }
}
