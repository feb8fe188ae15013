import AMPSCore
import Foundation

/// How an instance file is read: where images without an `image` field are looked for,
/// whether instances without an image are left out, and which tasks are kept.
public struct InstanceLoadOptions: Sendable {
    /// The folder of `ImageLocator` (`--images`); nil: the data file's folder.
    public var imagesFolder: String?
    public var skipMissingImages = false
    /// Keep only these tasks (`--tasks`); nil: every task.
    public var tasks: [String]?

    public init(imagesFolder: String? = nil, skipMissingImages: Bool = false, tasks: [String]? = nil) {
        self.imagesFolder = imagesFolder; self.skipMissingImages = skipMissingImages; self.tasks = tasks
    }
}

/// The instances of one file: JSON Lines (this project's files) or a JSON array (MC²'s
/// published `evaluate_final.json`), told apart by content. Every problem names the file
/// and the item.
public struct InstanceSet: Sendable {
    public let path: String
    public let instances: [Instance]
    /// Instances left out for want of an image (only under `skipMissingImages`).
    public var skippedMissingImages = 0

    public init(path: String, instances: [Instance], skippedMissingImages: Int = 0) {
        self.path = path; self.instances = instances; self.skippedMissingImages = skippedMissingImages
    }

    public static func load(path: String, options: InstanceLoadOptions = InstanceLoadOptions()) throws -> InstanceSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw AMPSError.file(path, "instance file not found") }
        guard !isDir.boolValue else { throw AMPSError.file(path, "is a folder, not an instance file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw AMPSError.file(path, "cannot be read") }
        guard var text = String(data: data, encoding: .utf8) else { throw AMPSError.file(path, "cannot be read as UTF-8 text") }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var records = try parse(text, path: path)
        records = try uniqueIds(records, path: path)
        if let wanted = options.tasks { records = try keep(tasks: wanted, of: records, path: path) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let locator = ImageLocator(folder: options.imagesFolder ?? folder)
        var out: [Instance] = []
        var missing: [(InstanceRecord, [String])] = []
        for var r in records {
            if let image = r.imageField {
                let p = image.hasPrefix("/") ? image : folder + "/" + image
                guard ImageLocator.isFile(p) else { missing.append((r, [p])); continue }
                r.instance.imagePath = p
            } else {
                guard let p = locator.locate(imageId: r.instance.imageId) else {
                    missing.append((r, locator.candidates(imageId: r.instance.imageId))); continue
                }
                r.instance.imagePath = p
            }
            out.append(r.instance)
        }
        if let (first, tried) = missing.first, !options.skipMissingImages {
            let n = missing.count
            throw AMPSError.invalidInput("\(path): \(n) instance\(n == 1 ? " has" : "s have") no image; the first, image_id \(first.instance.imageId) (\(first.instance.source)), was looked for at \(tried.joined(separator: ", ")) (--images DIR names the image folder; --skip-missing-images leaves such instances out)")
        }
        guard !out.isEmpty else {
            throw AMPSError.file(path, missing.isEmpty ? "holds no instances" : "none of its \(missing.count) instances has an image (--images DIR names the image folder)")
        }
        return InstanceSet(path: path, instances: out, skippedMissingImages: missing.count)
    }

    public func instance(id: String) throws -> Instance {
        if let i = instances.first(where: { $0.id == id }) { return i }
        let alike = instances.filter { $0.id.hasPrefix(id + ":") }.map(\.id)
        if !alike.isEmpty {
            throw AMPSError.invalidInput("\(path): image_id \(id) names several instances: \(alike.joined(separator: ", "))")
        }
        throw AMPSError.invalidInput("\(path): no instance with image_id \(id)")
    }

    /// The task names present, in the order they first appear.
    public var tasks: [String] {
        var seen = Set<String>()
        return instances.map(\.task).filter { seen.insert($0).inserted }
    }

    // MARK: reading

    static func parse(_ text: String, path: String) throws -> [InstanceRecord] {
        guard let first = text.unicodeScalars.first(where: { !CharacterSet.whitespacesAndNewlines.contains($0) }) else {
            throw AMPSError.file(path, "is empty")
        }
        switch first {
        case "[": return try parseArray(text, path: path)
        case "{": return try parseLines(text, path: path)
        default:
            throw AMPSError.file(path, "is neither a JSON array of instances nor JSON Lines (it starts with '\(String(first).debugDescription.dropFirst().dropLast())')")
        }
    }

    static func parseArray(_ text: String, path: String) throws -> [InstanceRecord] {
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw AMPSError.file(path, "is not valid JSON: \(jsonProblem(error))")
        }
        guard let items = value as? [Any] else { throw AMPSError.file(path, "is not a JSON array") }
        guard !items.isEmpty else { throw AMPSError.file(path, "is an empty JSON array: no instances") }
        return try items.enumerated().map { i, item in
            guard let obj = item as? [String: Any] else {
                throw AMPSError.invalidInput("\(path)[\(i)]: item is \(InstanceRecord.kindName(item)), not a JSON object")
            }
            return try InstanceRecord(obj, location: "\(path)[\(i)]")
        }
    }

    static func parseLines(_ text: String, path: String) throws -> [InstanceRecord] {
        var out: [InstanceRecord] = []
        // Split on the scalar \n only (Swift's Character "\r\n" is not "\n"); a trailing \r
        // (CRLF files) is whitespace to the trim below. Other line breaks may sit in strings.
        for (n, line) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(String.UnicodeScalarView(line)).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let location = "\(path):\(n + 1)"
            let value: Any
            do { value = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) } catch {
                if out.isEmpty, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] {
                    throw AMPSError.file(path, "is one JSON object over several lines; expected a JSON array of instances or JSON Lines (one instance object per line)")
                }
                throw AMPSError.invalidInput("\(location): not valid JSON: \(jsonProblem(error))")
            }
            guard let obj = value as? [String: Any] else {
                throw AMPSError.invalidInput("\(location): a line of JSON Lines must be one JSON object (got \(InstanceRecord.kindName(value)))")
            }
            out.append(try InstanceRecord(obj, location: location))
        }
        return out
    }

    /// Foundation's reason, which carries the character position.
    static func jsonProblem(_ error: Error) -> String {
        let ns = error as NSError
        let why = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
        return String(why.prefix(200))
    }

    // MARK: ids and tasks

    /// An image_id must name one instance. MC² items share a COCO image only across tasks,
    /// if at all: such ids become `image_id:task`; a repeated (image_id, task) is an error.
    static func uniqueIds(_ records: [InstanceRecord], path: String) throws -> [InstanceRecord] {
        var byId: [String: [Int]] = [:]
        for (i, r) in records.enumerated() { byId[r.instance.id, default: []].append(i) }
        var out = records
        for (id, idx) in byId where idx.count > 1 {
            var tasks: [String: Int] = [:]
            for i in idx {
                if let j = tasks[records[i].instance.task] {
                    throw AMPSError.invalidInput("\(records[i].instance.source): image_id \(id) with task \(records[i].instance.task) appears twice (also at \(records[j].instance.source))")
                }
                tasks[records[i].instance.task] = i
                out[i].instance.id = "\(id):\(records[i].instance.task)"
            }
        }
        return out
    }

    static func keep(tasks wanted: [String], of records: [InstanceRecord], path: String) throws -> [InstanceRecord] {
        var present: [String] = []
        for r in records where !present.contains(r.instance.task) { present.append(r.instance.task) }
        guard !wanted.isEmpty else { throw AMPSError.invalidInput("--tasks names no task (tasks in \(path): \(present.joined(separator: ", ")))") }
        for t in wanted where !present.contains(t) {
            throw AMPSError.invalidInput("--tasks: \(path) has no task '\(t)' (tasks present: \(present.joined(separator: ", ")))")
        }
        return records.filter { wanted.contains($0.instance.task) }
    }
}
