import Foundation

/// How much more memory this process may take, and the refusal of requests that would
/// need more: a request the machine cannot hold must be a one-line error before it is
/// allocated, not a failed allocation (a trap) halfway through.
///
/// The budget is the smallest of: physical memory, the cgroup's memory limit (containers)
/// less what the process already holds, and the address-space limit (`ulimit -v`,
/// RLIMIT_AS) less the address space already mapped (the mapped checkpoint included).
public enum MemoryBudget {
    /// Bytes of physical memory (sysconf).
    public static var physicalBytes: Double {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? Double(pages) * Double(size) : .infinity
    }

    /// RLIMIT_AS in bytes (infinity when unlimited).
    public static var addressSpaceLimit: Double {
        var r = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &r) == 0, r.rlim_cur != rlim_t.max else { return .infinity }
        return Double(r.rlim_cur)
    }

    /// The cgroup (v2, else v1) memory limit in bytes; infinity when there is none.
    public static var cgroupLimit: Double {
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let v = Double(t), v > 0, v < 1e18 { return v }  // v1 reports "no limit" as ~2^63
        }
        return .infinity
    }

    /// (virtual, resident) bytes of this process now, from /proc/self/statm.
    public static var processBytes: (virtual: Double, resident: Double) {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return (0, 0) }
        let fields = text.split(separator: " ").compactMap { Double($0) }
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        guard fields.count >= 2, page > 0 else { return (0, 0) }
        return (fields[0] * page, fields[1] * page)
    }

    /// Bytes a new request may still take.
    public static var available: Double {
        let now = processBytes
        let byMemory = min(physicalBytes, cgroupLimit) - now.resident
        let byAddressSpace = addressSpaceLimit - now.virtual
        return max(0, min(byMemory, byAddressSpace))
    }

    /// Throws when `bytes` (an estimate of what `what` will allocate) exceeds what this
    /// process can still take. `bytes` is a Double so that the estimate itself cannot
    /// overflow for absurd sizes.
    public static func check(_ bytes: Double, for what: String) throws {
        let left = available
        guard bytes.isFinite, bytes <= left else {
            throw AMPSError.invalidInput("\(what) needs about \(describe(bytes)) of memory, more than this process can take (\(describe(left)) left of \(describe(min(physicalBytes, cgroupLimit, addressSpaceLimit))))")
        }
    }

    /// 1.5 GB, 320 MB, 12 KB: sizes in a one-line message.
    public static func describe(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "an unbounded amount" }
        guard bytes < 1e18 else { return String(format: "%.1e bytes", bytes) }
        let units: [(Double, String)] = [(1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")]
        for (scale, name) in units where bytes >= scale {
            let v = bytes / scale
            return (v >= 100 ? String(format: "%.0f", v) : String(format: "%.1f", v)) + " " + name
        }
        return String(format: "%.0f bytes", bytes)
    }
}
