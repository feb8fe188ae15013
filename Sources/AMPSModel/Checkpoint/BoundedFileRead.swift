import AMPSCore
import Foundation

/// Reads a whole input file after checking that it is a regular file (a FIFO or a device in a
/// model folder must not block or stream forever) no larger than `limit` bytes (the parsers
/// hold several copies of what they read).
enum BoundedFileRead {
    static func bytes(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw AMPSError.file(path, errno == ENOENT ? "file not found" : "cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AMPSError.file(path, "cannot be read") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw AMPSError.file(path, "is not a regular file") }
        let size = Int(st.st_size)
        guard size <= limit else { throw AMPSError.file(path, "is \(size) bytes, above amps' limit of \(limit) for this file") }
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw AMPSError.file(path, "cannot be read (it changed size while being read)") }
            done += n
        }
        return out
    }
}
