#define _GNU_SOURCE
#include "CMallocCounter.h"

#include <errno.h>
#include <stddef.h>
#include <execinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Under ThreadSanitizer the allocator belongs to the sanitizer: no wrappers, nothing counted. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MALLOC_COUNTER_OFF 1
#endif
#endif

#ifndef MALLOC_COUNTER_OFF
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

static __thread int counting;
static __thread long counted;
static __thread int tracing;
/* MALLOC_COUNTER_TRACE=N prints the call stack of the first N counted allocations of each counting span
   to stderr (to find where the hot path allocates). */
static int traceLimit;

static inline void note(void) {
    if (!counting) return;
    counted++;
    if (counted <= traceLimit && !tracing) {
        tracing = 1;
        void *frames[32];
        int depth = backtrace(frames, 32);
        static const char banner[] = "--- counted allocation ---\n";
        (void)!write(2, banner, sizeof banner - 1);
        backtrace_symbols_fd(frames, depth, 2);
        tracing = 0;
    }
}

void *malloc(size_t size) {
    note();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    note();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) return ENOMEM;
    *result = pointer;
    return 0;
}

#endif /* MALLOC_COUNTER_OFF */

int malloc_counter_available(void) {
#ifdef MALLOC_COUNTER_OFF
    return 0;
#else
    return 1;
#endif
}

#ifdef MALLOC_COUNTER_OFF
void malloc_counter_start(void) {}
long malloc_counter_stop(void) { return 0; }
#else
void malloc_counter_start(void) {
    const char *trace = getenv("MALLOC_COUNTER_TRACE");
    traceLimit = trace ? atoi(trace) : 0;
    if (traceLimit > 0) {
        void *frames[2];
        backtrace(frames, 2); /* loads the unwinder now, outside the counted span */
    }
    counted = 0;
    counting = 1;
}

long malloc_counter_stop(void) {
    counting = 0;
    return counted;
}
#endif /* MALLOC_COUNTER_OFF */
