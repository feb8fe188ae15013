import AMPSCore
import Foundation

extension Probe {
    /// What this probe answered, given the answer-position logits of one batch row: the one
    /// place every count (evaluation, fit, sensitivity) takes a probe's answer class from,
    /// so another scoring (generated text parsed for the option letter) replaces it here.
    public func answerClass(_ logits: Tensor, row: Int = 0) -> AnswerClass {
        answer(logits, row: row).argmaxClass
    }
}
