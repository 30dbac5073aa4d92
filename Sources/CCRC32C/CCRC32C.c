#include "CCRC32C.h"

#include <string.h>

static uint32_t table[256];
static int table_ready;

static uint32_t crc32c_table(uint32_t crc, const uint8_t *bytes, size_t length) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) {
        for (uint32_t index = 0; index < 256; index++) {
            uint32_t value = index;
            for (int bit = 0; bit < 8; bit++) value = (value & 1) ? (value >> 1) ^ 0x82F63B78u : value >> 1;
            table[index] = value;
        }
        __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
    }
    while (length--) crc = table[(crc ^ *bytes++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_hardware(uint32_t crc, const uint8_t *bytes, size_t length) {
    uint64_t wide = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        wide = __builtin_ia32_crc32di(wide, word);
        bytes += 8;
        length -= 8;
    }
    crc = (uint32_t)wide;
    while (length--) crc = __builtin_ia32_crc32qi(crc, *bytes++);
    return crc;
}
#endif

uint32_t fo_crc32c_update(uint32_t previous, const void *bytes, size_t length) {
    uint32_t crc = ~previous;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return ~crc32c_hardware(crc, bytes, length);
#endif
    return ~crc32c_table(crc, bytes, length);
}

uint32_t fo_crc32c_update_table(uint32_t previous, const void *bytes, size_t length) {
    return ~crc32c_table(~previous, bytes, length);
}
