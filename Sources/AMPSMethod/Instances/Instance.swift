import AMPSCore
import AMPSModel
import Foundation

/// One MC²-format instance: an image, a text context that may contradict it, a question
/// and the answer each modality supports.
public struct Instance: Sendable, Identifiable {
    public enum Kind: String, Sendable { case conflict, consistent, imageOnly = "image_only", textOnly = "text_only" }
    /// The instance's name: its image_id as text, or `image_id:task` where one image
    /// serves several tasks of a file.
    public var id: String
    /// The image_id as the file spells it (what the image is looked up by).
    public var imageId: String
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
    /// Where the instance came from, for messages: `file:line` (JSON Lines) or
    /// `file item N (image_id X)` (a JSON array).
    public var source: String
    public var isConflict: Bool { kind == .conflict && answerVision != answerText }

    public init(id: String, imagePath: String, task: String, question: String, answerVision: String, answerText: String,
                context: String, split: String? = nil, kind: Kind, tags: [String: String] = [:], distractor: String? = nil,
                source: String = "") {
        self.id = id; self.imagePath = imagePath; self.task = task; self.question = question; self.answerVision = answerVision
        self.answerText = answerText; self.context = context; self.split = split; self.kind = kind; self.tags = tags
        self.distractor = distractor
        self.source = source.isEmpty ? "instance \(id)" : source
        imageId = id
    }

    /// The two options: the vision answer, and the text answer — or, when image and text
    /// agree, the distractor (so "vision" then means "correct").
    public var options: (vision: String, other: String) {
        (answerVision, isConflict ? answerText : (distractor ?? answerText))
    }
}
