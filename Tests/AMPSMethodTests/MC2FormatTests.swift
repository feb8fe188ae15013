import AMPSCore
import AMPSMethod
import Foundation
import XCTest

/// MC² as its authors publish it: a JSON array of items with 12-digit string COCO ids, the
/// context as text or as {"icc": ...}, images in COCO-2014's layout — read by the same loader
/// as this project's JSON Lines. The excerpt and its COCO folder are made by
/// tools/make_mc2_excerpt.py in exactly MC²'s shape.
final class MC2FormatTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mc2 = repo.appendingPathComponent("Tests/AMPSInspectorTests/Fixtures/mc2").path
    static let excerpt = mc2 + "/evaluate_excerpt.json"
    static let coco = mc2 + "/coco"

    var tmp: URL!
    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("amps-mc2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    func write(_ name: String, _ text: String) -> String {
        let p = tmp.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func loadError(_ path: String, options: InstanceLoadOptions = InstanceLoadOptions(), file: StaticString = #filePath,
                   line: UInt = #line) -> String {
        do {
            _ = try InstanceSet.load(path: path, options: options)
            XCTFail("\(path) loaded", file: file, line: line)
            return ""
        } catch let e as AMPSError {
            let text = e.description
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(path), "does not name the file: \(text)", file: file, line: line)
            return text
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return ""
        }
    }

    // MARK: the published shape

    func testExcerptLoadsWithImagesInCOCOLayout() throws {
        let set = try InstanceSet.load(path: Self.excerpt, options: InstanceLoadOptions(imagesFolder: Self.coco))
        XCTAssertEqual(set.instances.count, 16)
        XCTAssertEqual(set.tasks.sorted(), ["activity_recognition", "attribute", "color", "counting", "object_recognition",
                                            "positional_reasoning", "sentiment_understanding", "sport_recognition"])
        let first = set.instances[0]
        XCTAssertEqual(first.id, "000000046962")   // the 12-digit string kept as it is
        XCTAssertEqual(first.imagePath, Self.coco + "/train2014/COCO_train2014_000000046962.jpg")
        XCTAssertEqual(set.instances[1].imagePath, Self.coco + "/val2014/COCO_val2014_000000054881.jpg")
        XCTAssertEqual(first.answerText, "walking a dog")
        XCTAssertTrue(set.instances.allSatisfy(\.isConflict), "every MC² item is a conflict")
        XCTAssertEqual(first.source, Self.excerpt + "[0] (image_id 000000046962)")
    }

    func testNestedContextReadsTheSame() throws {
        let plain = try InstanceSet.load(path: Self.excerpt, options: InstanceLoadOptions(imagesFolder: Self.coco))
        let nested = try InstanceSet.load(path: Self.mc2 + "/evaluate_excerpt_icc.json", options: InstanceLoadOptions(imagesFolder: Self.coco))
        XCTAssertEqual(plain.instances.map(\.context), nested.instances.map(\.context))
        XCTAssertEqual(plain.instances.map(\.imagePath), nested.instances.map(\.imagePath))
    }

    func testJSONLinesWithCRLFAndNumericIds() throws {
        let text = "{\"image_id\": 46962, \"task\": \"color\", \"question\": \"What color?\", \"answer_vision\": \"red\", \"answer_text\": \"blue\", \"context\": \"It is blue.\"}\r\n"
            + "{\"image_id\": \"000000054881\", \"task\": \"counting\", \"question\": \"How many?\", \"answer_vision\": 2, \"answer_text\": 4, \"context\": {\"icc\": \"There are 4.\"}}\r\n"
        let set = try InstanceSet.load(path: write("crlf.jsonl", text), options: InstanceLoadOptions(imagesFolder: Self.coco))
        XCTAssertEqual(set.instances.map(\.id), ["46962", "000000054881"])
        // A bare number is found under its 12-digit COCO name.
        XCTAssertEqual(set.instances[0].imagePath, Self.coco + "/train2014/COCO_train2014_000000046962.jpg")
        XCTAssertEqual(set.instances[1].answerVision, "2")
        XCTAssertEqual(set.instances[1].context, "There are 4.")
    }

    func testImageLookupOrder() throws {
        let dir = tmp.appendingPathComponent("imgs").path
        try FileManager.default.createDirectory(atPath: dir + "/val2014", withIntermediateDirectories: true)
        let l = ImageLocator(folder: dir)
        XCTAssertEqual(l.candidates(imageId: "46962"), [
            dir + "/46962", dir + "/46962.jpg", dir + "/46962.jpeg", dir + "/46962.png",
            dir + "/train2014/COCO_train2014_000000046962.jpg", dir + "/val2014/COCO_val2014_000000046962.jpg",
            dir + "/COCO_train2014_000000046962.jpg", dir + "/COCO_val2014_000000046962.jpg", dir + "/images/46962.png",
        ])
        XCTAssertNil(l.locate(imageId: "46962"))
        FileManager.default.createFile(atPath: dir + "/val2014/COCO_val2014_000000046962.jpg", contents: Data([1]))
        XCTAssertEqual(l.locate(imageId: "46962"), dir + "/val2014/COCO_val2014_000000046962.jpg")
        FileManager.default.createFile(atPath: dir + "/46962.png", contents: Data([1]))
        XCTAssertEqual(l.locate(imageId: "46962"), dir + "/46962.png", "a plain file name comes first")
        // An id that already is a COCO file name.
        XCTAssertEqual(l.locate(imageId: "COCO_val2014_000000046962.jpg"), dir + "/val2014/COCO_val2014_000000046962.jpg")
        // A folder of that name is not an image.
        try FileManager.default.createDirectory(atPath: dir + "/777", withIntermediateDirectories: true)
        XCTAssertNil(l.locate(imageId: "777"))
    }

    // MARK: missing images, tasks

    func extended(withMissing ids: [String]) throws -> String {
        var items = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.excerpt))) as! [[String: Any]]
        for id in ids {
            var extra = items[0]
            extra["image_id"] = id
            items.append(extra)
        }
        let p = tmp.appendingPathComponent("with_missing.json").path
        try JSONSerialization.data(withJSONObject: items).write(to: URL(fileURLWithPath: p))
        return p
    }

    func testMissingImagesAreOneErrorOrCountedWhenSkipped() throws {
        let p = try extended(withMissing: ["000000999999", "000000888888"])
        let e = loadError(p, options: InstanceLoadOptions(imagesFolder: Self.coco))
        XCTAssertTrue(e.contains("2 instances have no image"), e)
        XCTAssertTrue(e.contains("image_id 000000999999"), e)
        XCTAssertTrue(e.contains(Self.coco + "/val2014/COCO_val2014_000000999999.jpg"), "names the paths tried: \(e)")
        let set = try InstanceSet.load(path: p, options: InstanceLoadOptions(imagesFolder: Self.coco, skipMissingImages: true))
        XCTAssertEqual(set.instances.count, 16)
        XCTAssertEqual(set.skippedMissingImages, 2)
    }

    func testTasksFilter() throws {
        let set = try InstanceSet.load(path: Self.excerpt, options: InstanceLoadOptions(imagesFolder: Self.coco, tasks: ["color", "counting"]))
        XCTAssertEqual(set.instances.count, 4)
        XCTAssertEqual(Set(set.instances.map(\.task)), ["color", "counting"])
        let e = loadError(Self.excerpt, options: InstanceLoadOptions(imagesFolder: Self.coco, tasks: ["colour"]))
        XCTAssertTrue(e.contains("no task 'colour'") && e.contains("sport_recognition"), e)
    }

    // MARK: bad input: one line naming the file, the item and the problem

    let item = #"{"image_id": "000000046962", "task": "color", "question": "Q?", "answer_vision": "red", "answer_text": "blue", "context": "C."}"#

    func testBadFiles() throws {
        let cases: [(String, String, String)] = [
            ("[\(item), 7]", "[1]", "not a JSON object"),
            (#"{"data": [1, 2]}"#, ":1", "without instance fields"),
            ("[]", "", "empty JSON array"),
            ("[\(item), {\"image_id\": \"1\"", "", "not valid JSON"),
            (#"[{"image_id": "000000046962", "task": "color", "question": "Q?", "answer_vision": "red", "context": "C."}]"#, "[0] (image_id 000000046962)", "'answer_text' is missing"),
            (#"[{"image_id": "000000046962", "task": "color", "question": "  ", "answer_vision": "red", "answer_text": "blue", "context": "C."}]"#, "[0]", "'question' is empty"),
            ("[\(item), \(item)]", "[1] (image_id 000000046962)", "appears twice"),
            (#"[{"image_id": "000000046962", "task": "color", "question": "Q?", "answer_vision": "red", "answer_text": "blue", "context": {"text": "C."}}]"#, "[0]", "without the key 'icc'"),
            (#"[{"image_id": true, "task": "color", "question": "Q?", "answer_vision": "red", "answer_text": "blue", "context": "C."}]"#, "[0]", "not a boolean"),
            (#"[{"image_id": "000000046962", "task": "color", "question": "Q?", "answer_vision": false, "answer_text": "blue", "context": "C."}]"#, "[0]", "not a boolean"),
            (#"[{"image_id": "000000046962", "task": "color", "question": "Where is <image> here?", "answer_vision": "red", "answer_text": "blue", "context": "C."}]"#, "[0] (image_id 000000046962)", "'<image>'"),
            ("{\n  \"image_id\": \"1\"\n}\n", "", "several lines"),
            ("\(item)\n{oops\n", ":2", "not valid JSON"),
            ("", "", "is empty"),
            ("id,task\n", "", "neither a JSON array"),
            (String(repeating: "[", count: 100_000), "", "not valid JSON"),
        ]
        for (n, (text, place, problem)) in cases.enumerated() {
            let p = write("bad\(n).json", text)
            let e = loadError(p, options: InstanceLoadOptions(imagesFolder: Self.coco))
            XCTAssertTrue(e.contains(p + place), "case \(n): does not name the item \(place): \(e)")
            XCTAssertTrue(e.contains(problem), "case \(n): expected '\(problem)': \(e)")
        }
    }

    func testSameImageAcrossTasksGetsDistinctIds() throws {
        let other = item.replacingOccurrences(of: "\"color\"", with: "\"counting\"")
        let set = try InstanceSet.load(path: write("shared.json", "[\(item), \(other)]"), options: InstanceLoadOptions(imagesFolder: Self.coco))
        XCTAssertEqual(set.instances.map(\.id), ["000000046962:color", "000000046962:counting"])
        XCTAssertThrowsError(try set.instance(id: "000000046962")) { e in
            XCTAssertTrue("\(e)".contains("several instances"), "\(e)")
        }
        XCTAssertEqual(try set.instance(id: "000000046962:counting").task, "counting")
    }

    // MARK: MC²'s prompt, character for character

    func instance() throws -> Instance {
        try InstanceSet.load(path: Self.excerpt, options: InstanceLoadOptions(imagesFolder: Self.coco)).instances[0]
    }

    static let context = "On a quiet Sunday morning the man left his apartment early, and anyone passing the park could see him walking a dog along the gravel path, stopping now and then so the animal could sniff the grass near the benches."
    static let textInstruction = "In case there is an inconsistency between the Text Context and the input image content, you must rely on the text context rather than the input image content. "
    static let imageInstruction = "In case there is an inconsistency between the text context and the image content, you should follow the image content rather than the text context. "

    func testMC2LlavaPromptWording() throws {
        let t = try PromptTemplate(path: Self.repo.appendingPathComponent("samples/prompts/mc2-llava-1.5.json").path)
        let i = try instance()
        XCTAssertEqual(t.render(i, order: .visionFirst, instruction: .none),
                       "USER: <image>\nText context: \(Self.context)\nWhat is the man in the picture doing?\nA. riding a bicycle\nB. walking a dog\nAnswer the question by selecting the correct answer A or B. ASSISTANT:")
        XCTAssertEqual(t.render(i, order: .textFirst, instruction: .text),
                       "USER: <image>\nText context: \(Self.context)\n\(Self.textInstruction)\nWhat is the man in the picture doing?\nA. walking a dog\nB. riding a bicycle\nAnswer the question by selecting the correct answer A or B. ASSISTANT:")
        XCTAssertEqual(t.render(i, order: .visionFirst, instruction: .vision),
                       "USER: <image>\nText context: \(Self.context)\n\(Self.imageInstruction)\nWhat is the man in the picture doing?\nA. riding a bicycle\nB. walking a dog\nAnswer the question by selecting the correct answer A or B. ASSISTANT:")
    }

    func testMC2QwenChatPromptWording() throws {
        let t = try PromptTemplate(path: Self.repo.appendingPathComponent("samples/prompts/mc2-qwen2-chat.json").path)
        let i = try instance()
        XCTAssertEqual(t.render(i, order: .visionFirst, instruction: .none),
                       "<|im_start|>user <image>\nText context: \(Self.context)\nWhat is the man in the picture doing?\nA. riding a bicycle\nB. walking a dog\nAnswer the question by selecting the correct answer A or B.<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(t.render(i, order: .visionFirst, instruction: .vision),
                       "<|im_start|>user <image>\nText context: \(Self.context)\n\(Self.imageInstruction)\nWhat is the man in the picture doing?\nA. riding a bicycle\nB. walking a dog\nAnswer the question by selecting the correct answer A or B.<|im_end|>\n<|im_start|>assistant\n")
    }

    func testNewFamilyPromptForms() throws {
        func render(_ name: String, _ instruction: Instruction = .none) throws -> String {
            let t = try PromptTemplate(path: Self.repo.appendingPathComponent("samples/prompts/\(name).json").path)
            return t.render(try instance(), order: .visionFirst, instruction: instruction)
        }
        let mc2 = "Text context: \(Self.context)\nWhat is the man in the picture doing?\nA. riding a bicycle\nB. walking a dog\nAnswer the question by selecting the correct answer A or B."
        XCTAssertEqual(try render("mc2-qwen2-vl-chat"),
                       "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\(mc2)<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(try render("mc2-llava-next-mistral"), "[INST] <image>\n\(mc2) [/INST]")
        let plain = "Text context: \(Self.context)\nQuestion: What is the man in the picture doing?\nA. riding a bicycle\nB. walking a dog\nAnswer with the option's letter from the given choices directly."
        XCTAssertEqual(try render("qwen2-vl-chat"),
                       "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\(plain)<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(try render("llava-next-mistral"), "[INST] <image>\n\(plain) [/INST]")
        XCTAssertTrue(try render("llava-next-mistral", .text).contains("\nInstruction: if the image and the text disagree, follow the text.\nQuestion: "))
    }

    func testPlaceholdersInInstanceTextStayLiteral() throws {
        let t = try PromptTemplate(path: Self.repo.appendingPathComponent("samples/prompts/mc2-llava-1.5.json").path)
        var i = try instance()
        i.question = "Is {option_b} or {context} right?"
        let p = t.render(i, order: .visionFirst, instruction: .none)
        XCTAssertTrue(p.contains("\nIs {option_b} or {context} right?\n"), p)
    }

    // MARK: reading a generated answer

    func testOptionLetterParser() {
        let cases: [(String, Int?)] = [
            ("A", 0), (" B.", 1), ("(A)", 0), ("The answer is B", 1), ("Answer: A", 0), ("AB", nil), ("Apple", nil), ("", nil),
            ("B) walking a dog", 1), ("a dog", nil), ("\nA\n", 0), ("I think it is A, not B", 0), ("ABBA B", 1),
        ]
        for (text, want) in cases {
            XCTAssertEqual(OptionLetterParser.optionIndex(in: text, letters: ["A", "B"]), want, "\(text.debugDescription)")
        }
    }

    func testAnswerScoringOptions() throws {
        XCTAssertEqual(try AnswerScoring(name: "first-token"), .firstToken)
        XCTAssertEqual(try AnswerScoring(name: "generate"), .generate(maxTokens: 8))
        XCTAssertEqual(try AnswerScoring(name: "generate", maxTokens: 3), .generate(maxTokens: 3))
        XCTAssertThrowsError(try AnswerScoring(name: "argmax"))
        XCTAssertThrowsError(try AnswerScoring(name: "generate", maxTokens: 0))
    }
}
