import AMPSCore
import Foundation

/// One instance object as the file holds it, checked field by field. Accepts both this
/// project's JSON Lines records and MC²'s published items (`context` as a string or as
/// `{"icc": ...}`, ids as strings or numbers); every problem names the file, the item and
/// the field.
struct InstanceRecord {
    var instance: Instance
    /// The `image` field, when the record names its image itself.
    var imageField: String?

    /// The instance fields; an object with none of them is not an instance at all.
    static let fields = ["image_id", "task", "question", "answer_vision", "answer_text", "context"]

    /// Text that would change the prompt's structure if it reached the template: a second
    /// image marker would pair with no image.
    static let imageMarker = "<image>"

    init(_ obj: [String: Any], location: String) throws {
        guard Self.fields.contains(where: { obj[$0] != nil }) else {
            throw AMPSError.invalidInput("\(location): a JSON object without instance fields (\(Self.fields.joined(separator: ", "))); expected a JSON array of instances or one instance object per line")
        }
        let id = try Self.text(obj, "image_id", at: location)
        let here = "\(location) (image_id \(id))"
        func field(_ k: String) throws -> String {
            let v = try Self.text(obj, k, at: here)
            if v.contains(Self.imageMarker) {
                throw AMPSError.invalidInput("\(here): field '\(k)' contains '\(Self.imageMarker)', which the prompt would read as a second image marker")
            }
            return v
        }
        let context = try Self.context(obj, at: here)
        if context.contains(Self.imageMarker) {
            throw AMPSError.invalidInput("\(here): field 'context' contains '\(Self.imageMarker)', which the prompt would read as a second image marker")
        }
        var tags: [String: String] = [:]
        var declared: Instance.Kind?
        var distractor: String?
        if let m = obj["meta"] {
            guard let meta = m as? [String: Any] else { throw AMPSError.invalidInput("\(here): field 'meta' must be an object") }
            for (k, v) in meta {
                if let s = v as? String { tags[k] = s } else if let num = v as? NSNumber, !Self.isBoolean(num) { tags[k] = num.stringValue }
            }
            if meta["kind"] != nil {
                let k = try Self.text(meta, "kind", at: here, prefix: "meta.")
                guard let parsed = Instance.Kind(rawValue: k) else {
                    throw AMPSError.invalidInput("\(here): meta.kind '\(k)' is not conflict, consistent, image_only or text_only")
                }
                declared = parsed
            }
            if meta["distractor"] != nil { distractor = try Self.text(meta, "distractor", at: here, prefix: "meta.") }
        }
        let av = try field("answer_vision"), at = try field("answer_text")
        let kind = declared ?? (av == at ? .consistent : .conflict)
        if av == at && distractor == nil {
            throw AMPSError.invalidInput("\(here): answer_vision equals answer_text, so meta.distractor must name the wrong option")
        }
        if av != at && kind != .conflict {
            throw AMPSError.invalidInput("\(here): meta.kind is \(kind.rawValue) but answer_vision and answer_text differ")
        }
        if let d = distractor, d.contains(Self.imageMarker) {
            throw AMPSError.invalidInput("\(here): field 'meta.distractor' contains '\(Self.imageMarker)'")
        }
        var split: String?
        if obj["split"] != nil && !(obj["split"] is NSNull) { split = try Self.text(obj, "split", at: here) }
        if obj["image"] != nil { imageField = try Self.text(obj, "image", at: here) }
        instance = Instance(id: id, imagePath: "", task: try field("task"), question: try field("question"),
                            answerVision: av, answerText: at, context: context, split: split, kind: kind, tags: tags,
                            distractor: distractor, source: here)
    }

    /// A required non-empty text field: a string, or a number written as digits.
    static func text(_ obj: [String: Any], _ k: String, at location: String, prefix: String = "") throws -> String {
        guard let v = obj[k], !(v is NSNull) else { throw AMPSError.invalidInput("\(location): field '\(prefix)\(k)' is missing") }
        if let s = v as? String {
            guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw AMPSError.invalidInput("\(location): field '\(prefix)\(k)' is empty")
            }
            return s
        }
        if let num = v as? NSNumber {
            if isBoolean(num) { throw AMPSError.invalidInput("\(location): field '\(prefix)\(k)' must be a string, not a boolean") }
            guard num.doubleValue.isFinite else { throw AMPSError.invalidInput("\(location): field '\(prefix)\(k)' is not a finite number") }
            return num.stringValue
        }
        throw AMPSError.invalidInput("\(location): field '\(prefix)\(k)' must be a non-empty string (got \(kindName(v)))")
    }

    /// MC²'s README moves `context` into `{"icc": "..."}`; both forms circulate.
    static func context(_ obj: [String: Any], at location: String) throws -> String {
        if let nested = obj["context"] as? [String: Any] {
            guard nested["icc"] != nil else {
                throw AMPSError.invalidInput("\(location): field 'context' is an object without the key 'icc' (has: \(nested.keys.sorted().joined(separator: ", ")))")
            }
            return try text(nested, "icc", at: location, prefix: "context.")
        }
        return try text(obj, "context", at: location)
    }

    /// JSONSerialization gives booleans as NSNumber; only their type tells them apart.
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    static func kindName(_ v: Any) -> String {
        switch v {
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        default: return "\(type(of: v))"
        }
    }
}
