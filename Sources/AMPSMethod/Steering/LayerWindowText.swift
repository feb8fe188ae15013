import AMPSCore
import Foundation

/// A layer window as written on the command line: "FIRST-LAST" or one layer "L", decimal
/// digits only. Strict on purpose: splitting on "-" and dropping empty parts read
/// `--window=-1` as 1-1 and "3--5" as 3-5.
public enum LayerWindowText {
    public static func parse(_ text: String, layers: Int, option: String = "--window") throws -> ClosedRange<Int> {
        func number(_ part: Substring) -> Int? {
            // At most 9 digits: no layer count comes close, and Int() cannot overflow.
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(part)
        }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let shown = text.count > 40 ? String(text.prefix(40)).debugDescription + "…" : text.debugDescription
        let w: ClosedRange<Int>
        if parts.count == 1, let a = number(parts[0]) { w = a...a }
        else if parts.count == 2, let a = number(parts[0]), let b = number(parts[1]) {
            guard a <= b else { throw AMPSError.invalidInput("\(option) \(text): FIRST must not be after LAST") }
            w = a...b
        } else { throw AMPSError.invalidInput("\(option) must be FIRST-LAST or one layer, e.g. 3-5 (got \(shown))") }
        guard w.upperBound < layers else {
            throw AMPSError.invalidInput("\(option) \(text) is outside the model's layers 0-\(layers - 1)")
        }
        return w
    }
}
