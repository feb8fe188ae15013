import Foundation

/// Reads which option a generated answer states: the first word of the text that is
/// exactly one of the option letters, where a word is a maximal run of letters and digits.
/// So `A`, ` B.`, `(A)`, `Answer: A` and `The answer is B` state a letter; `AB` and
/// `Apple` do not (nor does the article `a`: letters compare case-sensitively).
public enum OptionLetterParser {
    /// Index into `letters` of the option stated first, or nil when none is.
    public static func optionIndex(in text: String, letters: [String]) -> Int? {
        var word = ""
        for ch in text + " " {
            if ch.isLetter || ch.isNumber {
                word.append(ch)
                continue
            }
            if !word.isEmpty, let k = letters.firstIndex(of: word) { return k }
            word = ""
        }
        return nil
    }
}
