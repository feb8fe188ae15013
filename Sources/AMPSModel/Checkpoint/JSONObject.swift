import AMPSCore
import Foundation

/// A JSON object read from a named file, with typed accessors whose errors name the file
/// and the key, so a malformed config gives a one-line error rather than a crash.
public struct JSONObject: @unchecked Sendable {
    public let raw: [String: Any]
    public let path: String
    public let context: String  // e.g. "text_config."

    public init(raw: [String: Any], path: String, context: String = "") {
        self.raw = raw; self.path = path; self.context = context
    }

    public static func load(_ path: String) throws -> JSONObject {
        let data = Data(try BoundedFileRead.bytes(path, limit: CheckpointLimits.jsonFileBytes))
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }
        catch { throw AMPSError.file(path, "is not valid JSON" + JSONObject.position(of: error)) }
        guard let dict = obj as? [String: Any] else { throw AMPSError.file(path, "is not a JSON object") }
        return JSONObject(raw: dict, path: path)
    }

    /// Foundation's own account of where parsing stopped (" (Invalid value around line 3,
    /// column 7)"), when it gives one; it also names nesting past its limit of 512.
    static func position(of error: Error) -> String {
        guard let why = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String, !why.isEmpty else { return "" }
        let cut = why.hasSuffix(".") ? String(why.dropLast()) : why
        return " (" + String(cut.prefix(120)) + ")"
    }

    public func has(_ key: String) -> Bool { raw[key] != nil && !(raw[key] is NSNull) }

    private func fail(_ key: String, _ problem: String) -> AMPSError {
        AMPSError.file(path, "'\(context)\(key)' \(problem)")
    }

    public func object(_ key: String) throws -> JSONObject {
        guard let v = raw[key] else { throw fail(key, "is missing") }
        guard let d = v as? [String: Any] else { throw fail(key, "must be an object") }
        return JSONObject(raw: d, path: path, context: context + key + ".")
    }

    public func optionalObject(_ key: String) throws -> JSONObject? {
        guard has(key) else { return nil }
        return try object(key)
    }

    /// `v` as an Int when it is a JSON integer (or an integral float) that fits; nil for
    /// booleans, fractions, strings and out-of-range numbers.
    public static func integer(_ v: Any) -> Int? {
        guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else { return nil }  // "c": a JSON true/false
        return Int(exactly: n)
    }

    public func int(_ key: String) throws -> Int {
        guard let v = raw[key], !(v is NSNull) else { throw fail(key, "is missing") }
        guard let n = JSONObject.integer(v) else { throw fail(key, "must be an integer") }
        return n
    }

    public func int(_ key: String, default d: Int) throws -> Int { has(key) ? try int(key) : d }

    /// A size or count: an integer from 1 to 2^31 - 1 (so that products of a few never overflow).
    public func size(_ key: String) throws -> Int {
        let n = try int(key)
        guard n >= 1, n <= Int(Int32.max) else { throw fail(key, "must be a positive integer below 2^31 (got \(n))") }
        return n
    }

    public func size(_ key: String, default d: Int) throws -> Int { has(key) ? try size(key) : d }

    /// A size or count from 1 to `limit` (one of `CheckpointLimits`); the error names the bound.
    public func size(_ key: String, atMost limit: Int) throws -> Int {
        let n = try int(key)
        guard n >= 1 else { throw fail(key, "must be a positive integer (got \(n))") }
        guard n <= limit else { throw fail(key, "is \(n), above amps' limit of \(limit)") }
        return n
    }

    public func size(_ key: String, default d: Int, atMost limit: Int) throws -> Int {
        has(key) ? try size(key, atMost: limit) : d
    }

    /// A finite number above zero (epsilons, rope_theta): zero, negative or non-finite values
    /// would make NaN or infinity downstream.
    public func positive(_ key: String, default d: Double) throws -> Double {
        let v = try double(key, default: d)
        guard v.isFinite, v > 0, Float(v).isFinite, Float(v) > 0 else {
            throw fail(key, "must be a finite number above 0 that a 32-bit float holds (got \(v))")
        }
        return v
    }

    public func double(_ key: String) throws -> Double {
        guard let v = raw[key], !(v is NSNull) else { throw fail(key, "is missing") }
        guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else { throw fail(key, "must be a number") }
        return n.doubleValue
    }

    public func double(_ key: String, default d: Double) throws -> Double { has(key) ? try double(key) : d }

    public func string(_ key: String) throws -> String {
        guard let v = raw[key], !(v is NSNull) else { throw fail(key, "is missing") }
        guard let s = v as? String else { throw fail(key, "must be a string") }
        return s
    }

    public func string(_ key: String, default d: String) throws -> String { has(key) ? try string(key) : d }

    public func bool(_ key: String, default d: Bool) throws -> Bool {
        guard has(key) else { return d }
        guard let b = raw[key] as? Bool else { throw fail(key, "must be true or false") }
        return b
    }

    /// An activation named by `key` (e.g. hidden_act); the error names the file and key.
    public func activation(_ key: String, default d: String) throws -> Activation {
        let name = try string(key, default: d)
        do { return try Activation(configName: name) }
        catch let e as AMPSError { throw AMPSError.file(path, "'\(context)\(key)': \(e.description)") }
    }

    /// A list of integers, or a single integer, under `key` (e.g. eos_token_id).
    public func integers(_ key: String) throws -> [Int] {
        guard let v = raw[key], !(v is NSNull) else { throw fail(key, "is missing") }
        if let list = v as? [Any] {
            return try list.map { guard let n = JSONObject.integer($0) else { throw fail(key, "must be an integer or a list of integers") }; return n }
        }
        guard let n = JSONObject.integer(v) else { throw fail(key, "must be an integer or a list of integers") }
        return [n]
    }

    public func doubles(_ key: String) throws -> [Double] {
        guard let a = raw[key] as? [Any] else { throw fail(key, "must be a list of numbers") }
        return try a.map {
            guard let n = $0 as? NSNumber else { throw fail(key, "must be a list of numbers") }
            return n.doubleValue
        }
    }

    public func array(_ key: String) throws -> [Any] {
        guard let a = raw[key] as? [Any] else { throw fail(key, "must be a list") }
        return a
    }
}
