#include "bytekernels.h"
#include <string.h>

uint64_t dscope_checksum(const void *bytes, size_t count, uint64_t seed) {
    const unsigned char *p = (const unsigned char *)bytes;
    const uint64_t prime = 0x00000100000001b3ULL;
    uint64_t h = seed;
    size_t words = count / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, p + i * 8, 8);
        h = (h ^ w) * prime;
    }
    for (size_t j = words * 8; j < count; j++) {
        h = (h ^ (uint64_t)p[j]) * prime;
    }
    return h;
}

void dscope_fill_pattern(void *bytes, size_t count, int64_t id) {
    unsigned char *p = (unsigned char *)bytes;
    uint64_t state = ((uint64_t)id * 0x9E3779B97F4A7C15ULL) ^ 0xD1B54A32D192ED03ULL;
    size_t words = count / 8;
    for (size_t i = 0; i < words; i++) {
        state += 0x9E3779B97F4A7C15ULL;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z = z ^ (z >> 31);
        memcpy(p + i * 8, &z, 8);
    }
    for (size_t j = words * 8; j < count; j++) {
        p[j] = (unsigned char)((uint64_t)id + (uint64_t)j);
    }
}
