#if canImport(Glibc)
import Glibc
#endif

/// The wall clock in milliseconds since the Unix epoch. Due times of
/// switches are wall-clock instants, so they survive restarts.
public enum WallClock {
    @inline(__always)
    public static func milliseconds() -> Int64 {
        var spec = timespec()
        // CLOCK_REALTIME_COARSE is read from the vDSO without a syscall; its
        // few-ms resolution is far below the one-second TTL granularity.
        clock_gettime(CLOCK_REALTIME_COARSE, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Precise wall clock, for scheduling.
    public static func preciseMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
