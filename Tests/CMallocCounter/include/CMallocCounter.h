#ifndef C_MALLOC_COUNTER_H
#define C_MALLOC_COUNTER_H

/// Counts heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by the
/// calling thread while counting is on. Linked into the test executable, it replaces the allocator entry
/// points with wrappers that forward to glibc's own (__libc_malloc ...): it only counts, never changes
/// what an allocation does.

/// 1 when allocations are counted; 0 in a ThreadSanitizer build, whose runtime owns the allocator.
int malloc_counter_available(void);
/// Starts counting on this thread from zero.
void malloc_counter_start(void);
/// Stops counting on this thread and returns the allocations counted since the start.
long malloc_counter_stop(void);

#endif
