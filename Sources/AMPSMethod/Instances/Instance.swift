import AMPSCore
import AMPSModel
import Foundation

/// One MC²-format instance: an image, a text context that may contradict it, a question
/// and the answer each modality supports.
public struct Instance: Sendable, Identifiable {
    public enum Kind: String, Sendable { case conflict, consistent, imageOnly = "image_only", textOnly = "text_only" }
    public var id: String            // image_id as text
    public var imagePath: String     // resolved path
    public var task: String
    public var question: String
    public var answerVision: String
    public var answerText: String
    public var context: String
    public var split: String?
    public var kind: Kind
    /// Generator metadata shown in the inspector (reliability levels etc.), flattened.
    public var tags: [String: String]
    /// The wrong option offered when image and text agree (`meta.distractor`).
    public var distractor: String?
    public var isConflict: Bool { kind == .conflict && answerVision != answerText }

    public init(id: String, imagePath: String, task: String, question: String, answerVision: String, answerText: String,
                context: String, split: String? = nil, kind: Kind, tags: [String: String] = [:], distractor: String? = nil) {
        self.id = id; self.imagePath = imagePath; self.task = task; self.question = question; self.answerVision = answerVision
        self.answerText = answerText; self.context = context; self.split = split; self.kind = kind; self.tags = tags
        self.distractor = distractor
    }

    /// The two options: the vision answer, and the text answer — or, when image and text
    /// agree, the distractor (so "vision" then means "correct").
    public var options: (vision: String, other: String) {
        (answerVision, isConflict ? answerText : (distractor ?? answerText))
    }
}

/// A JSON Lines file of instances. Every problem names the file and the line.
public struct InstanceSet: Sendable {
    public let path: String
    public let instances: [Instance]

    public init(path: String, instances: [Instance]) { self.path = path; self.instances = instances }

    public static func load(path: String) throws -> InstanceSet {
        guard FileManager.default.fileExists(atPath: path) else { throw AMPSError.file(path, "instance file not found") }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw AMPSError.file(path, "cannot be read as UTF-8 text")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var out: [Instance] = []
        var seen = Set<String>()
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let where_ = "\(path):\(n + 1)"
            guard let obj = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw AMPSError.invalidInput("\(where_): not a JSON object")
            }
            func str(_ k: String) throws -> String {
                guard let v = obj[k] else { throw AMPSError.invalidInput("\(where_): field '\(k)' is missing") }
                if let s = v as? String, !s.isEmpty { return s }
                if let num = v as? NSNumber { return num.stringValue }
                throw AMPSError.invalidInput("\(where_): field '\(k)' must be a non-empty string")
            }
            let id = try str("image_id")
            guard !seen.contains(id) else { throw AMPSError.invalidInput("\(where_): image_id \(id) appears twice") }
            seen.insert(id)
            let image = (obj["image"] as? String) ?? "images/\(id).png"
            let imagePath = image.hasPrefix("/") ? image : folder + "/" + image
            guard FileManager.default.fileExists(atPath: imagePath) else {
                throw AMPSError.invalidInput("\(where_): image file '\(image)' not found")
            }
            var tags: [String: String] = [:]
            var kind = Instance.Kind.conflict
            if let meta = obj["meta"] as? [String: Any] {
                for (k, v) in meta {
                    if let s = v as? String { tags[k] = s } else if let num = v as? NSNumber { tags[k] = num.stringValue }
                }
                if let k = meta["kind"] as? String {
                    guard let parsed = Instance.Kind(rawValue: k) else {
                        throw AMPSError.invalidInput("\(where_): meta.kind '\(k)' is not conflict, consistent, image_only or text_only")
                    }
                    kind = parsed
                }
            }
            let av = try str("answer_vision"), at = try str("answer_text")
            if obj["meta"] == nil || (obj["meta"] as? [String: Any])?["kind"] == nil { kind = av == at ? .consistent : .conflict }
            let distractor = (obj["meta"] as? [String: Any])?["distractor"] as? String
            if av == at && distractor == nil {
                throw AMPSError.invalidInput("\(where_): answer_vision equals answer_text, so meta.distractor must name the wrong option")
            }
            if av != at && kind != .conflict {
                throw AMPSError.invalidInput("\(where_): meta.kind is \(kind.rawValue) but answer_vision and answer_text differ")
            }
            out.append(Instance(id: id, imagePath: imagePath, task: try str("task"), question: try str("question"),
                                answerVision: av, answerText: at, context: try str("context"),
                                split: obj["split"] as? String, kind: kind, tags: tags, distractor: distractor))
        }
        guard !out.isEmpty else { throw AMPSError.file(path, "holds no instances") }
        return InstanceSet(path: path, instances: out)
    }

    public func instance(id: String) throws -> Instance {
        guard let i = instances.first(where: { $0.id == id }) else {
            throw AMPSError.invalidInput("\(path): no instance with image_id \(id)")
        }
        return i
    }
}
