/// Fixed-point number text without Foundation, so output is identical on every platform
/// and locale (snapshot tests depend on that).
public enum NumberFormatting {
    /// `value` rounded to `decimals` places: fixed(0.4251, 2) == "0.43", fixed(-1, 1) == "-1.0".
    /// NaN and infinities print as "nan", "inf", "-inf".
    public static func fixed(_ value: Double, decimals: Int) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let decimals = max(0, min(decimals, 9))
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return value < 0 ? "-big" : "big" }
        let units = Int(scaled)
        let factor = Int(scale)
        let whole = units / factor
        var text = (value < 0 && units != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let fraction = String(units % factor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// A fraction as a percentage: percent(0.625, decimals: 1) == "62.5%".
    public static func percent(_ fraction: Double, decimals: Int = 1) -> String {
        fixed(fraction * 100, decimals: decimals) + "%"
    }

    /// `fixed`, then drops the leading zero ("0.42" -> ".42") if that is needed to fit `width`;
    /// nil when it still does not fit.
    public static func compact(_ value: Double, decimals: Int, width: Int) -> String? {
        let text = fixed(value, decimals: decimals)
        if text.count <= width { return text }
        if text.hasPrefix("0.") {
            let short = String(text.dropFirst())
            if short.count <= width { return short }
        } else if text.hasPrefix("-0.") {
            let short = "-" + String(text.dropFirst(2))
            if short.count <= width { return short }
        }
        return nil
    }
}
