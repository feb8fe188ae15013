import AMPSCore
import Foundation

/// The `post_processor` section of tokenizer.json (single-sequence form only: the
/// program never encodes pairs).
enum PostProcessor {
    case none
    case template(prefix: [Int], suffix: [Int])

    init(json: [String: Any]?, path: String) throws {
        guard let json else { self = .none; return }
        let type = json["type"] as? String ?? "?"
        switch type {
        case "TemplateProcessing":
            let specials = json["special_tokens"] as? [String: [String: Any]] ?? [:]
            guard let single = json["single"] as? [[String: Any]] else {
                throw AMPSError.file(path, "TemplateProcessing has no 'single' template")
            }
            var prefix: [Int] = [], suffix: [Int] = []
            var seenSequence = false
            for item in single {
                if item["Sequence"] != nil { seenSequence = true; continue }
                guard let sp = item["SpecialToken"] as? [String: Any], let name = sp["id"] as? String else {
                    throw AMPSError.file(path, "TemplateProcessing item is neither Sequence nor SpecialToken")
                }
                guard let list = specials[name]?["ids"] as? [Any], case let ids = list.compactMap(JSONObject.integer), ids.count == list.count else {
                    throw AMPSError.file(path, "TemplateProcessing special token '\(name)' has no ids")
                }
                if seenSequence { suffix += ids } else { prefix += ids }
            }
            self = .template(prefix: prefix, suffix: suffix)
        default:
            throw AMPSError.unsupported("\(path): post_processor '\(type)' is not supported")
        }
    }

    func apply(_ ids: [Int]) -> [Int] {
        switch self {
        case .none: return ids
        case let .template(prefix, suffix): return prefix + ids + suffix
        }
    }
}
