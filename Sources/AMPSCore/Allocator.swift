/// glibc's mallopt (malloc.h, which the Glibc module does not bring in).
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

public enum Allocator {
    /// Makes glibc keep freed activation buffers for the next pass instead of returning
    /// them to the kernel: every batched pass allocates a few megabytes of scratch, and
    /// with the default (adaptive) thresholds each pass page-faulted and zeroed them
    /// afresh — a few per cent of a Monte Carlo map. Allocations above 32 MiB (widened
    /// weights) still get their own mappings.
    public static func keepFreedBuffers() {
        #if os(Linux)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        #endif
    }
}
