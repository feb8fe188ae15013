import AMPSCore
import Foundation

/// The `post_processor` section of tokenizer.json: the special tokens put around one sequence or a
/// pair. `ByteLevel` only trims offsets, so it leaves ids alone.
indirect enum PostProcessor {
    enum Item: Equatable { case special([Int]), sequenceA, sequenceB }

    case none
    case template(single: [Item], pair: [Item]?)
    case byteLevel
    case sequence([PostProcessor])

    init(json: [String: Any]?, path: String) throws {
        guard let json else { self = .none; return }
        let type = json["type"] as? String ?? "?"
        switch type {
        case "TemplateProcessing":
            let specials = json["special_tokens"] as? [String: [String: Any]] ?? [:]
            func items(_ key: String) throws -> [Item]? {
                guard let list = json[key] as? [[String: Any]] else { return nil }
                return try list.map { item in
                    if let seq = item["Sequence"] as? [String: Any] {
                        switch seq["id"] as? String {
                        case "A": return .sequenceA
                        case "B": return .sequenceB
                        default: throw AMPSError.file(path, "TemplateProcessing '\(key)' has a Sequence that is neither A nor B")
                        }
                    }
                    guard let sp = item["SpecialToken"] as? [String: Any], let name = sp["id"] as? String else {
                        throw AMPSError.file(path, "TemplateProcessing item is neither Sequence nor SpecialToken")
                    }
                    guard let list = specials[name]?["ids"] as? [Any], case let ids = list.compactMap(JSONObject.integer), ids.count == list.count else {
                        throw AMPSError.file(path, "TemplateProcessing special token '\(name)' has no ids")
                    }
                    return .special(ids)
                }
            }
            guard let single = try items("single") else {
                throw AMPSError.file(path, "TemplateProcessing has no 'single' template")
            }
            guard !single.contains(.sequenceB) else { throw AMPSError.file(path, "TemplateProcessing 'single' uses $B") }
            self = .template(single: single, pair: try items("pair"))
        case "ByteLevel":
            self = .byteLevel
        case "Sequence":
            let list = json["processors"] as? [[String: Any]] ?? []
            self = .sequence(try list.map { try PostProcessor(json: $0, path: path) })
        default:
            throw AMPSError.unsupported("\(path): post_processor '\(type)' is not supported (supported: TemplateProcessing, ByteLevel, Sequence)")
        }
    }

    /// transformers' template for a tokenizer without a post-processor whose tokenizer_config.json sets
    /// add_bos_token / add_eos_token: "bos $A eos" and "bos $A eos bos $B eos".
    static func bosEos(bos: Int?, eos: Int?) -> PostProcessor {
        let pre = bos.map { [Item.special([$0])] } ?? []
        let post = eos.map { [Item.special([$0])] } ?? []
        return .template(single: pre + [.sequenceA] + post, pair: pre + [.sequenceA] + post + pre + [.sequenceB] + post)
    }

    /// Ids of one sequence (`b` nil) or a pair with the special tokens.
    func apply(_ a: [Int], pair b: [Int]?, path: String) throws -> [Int] {
        let (x, y) = try process(a, b, path: path)
        return x + (y ?? [])
    }

    /// A template joins the pair; ByteLevel passes both sequences on unchanged.
    private func process(_ a: [Int], _ b: [Int]?, path: String) throws -> ([Int], [Int]?) {
        switch self {
        case .none, .byteLevel: return (a, b)
        case let .template(single, pair):
            let items: [Item]
            if b == nil { items = single } else {
                guard let pair else { throw AMPSError.unsupported("\(path): TemplateProcessing has no 'pair' template, so pairs cannot be encoded") }
                items = pair
            }
            let ids = items.flatMap { item -> [Int] in
                switch item {
                case let .special(ids): return ids
                case .sequenceA: return a
                case .sequenceB: return b ?? []
                }
            }
            return (ids, nil)
        case let .sequence(list):
            var current: ([Int], [Int]?) = (a, b)
            for p in list { current = try p.process(current.0, current.1, path: path) }
            return current
        }
    }

    /// How many ids come before the sequence in the single template.
    var prefixCount: Int {
        switch self {
        case .none, .byteLevel: return 0
        case let .template(single, _):
            var n = 0
            for item in single {
                guard case let .special(ids) = item else { break }
                n += ids.count
            }
            return n
        case let .sequence(list): return list.reduce(0) { $0 + $1.prefixCount }
        }
    }
}
